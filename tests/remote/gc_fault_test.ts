// A remote gc cut short by the S3 server going away (radosgw stopped by pid while gc
// deletes): the remote still names nothing it lacks — parents went before their
// children, cache entries before their runs — so a push that finds an object there
// can trust its closure; the next gc finishes the job.
import assert from "node:assert/strict";
import { runDemo } from "../cli/_fixture.ts";
import {
  closure,
  dangling,
  GC_REMOTE_NOW,
  inRemote,
  json,
  listedObjects,
  ok,
  spawnCairn,
  withDirs,
} from "./_cli.ts";
import { remoteTest, s3Server, startGateway, stopGateway } from "./_server.ts";

const BUCKET = "cairn-gc-fault";

const countObjects = async (prefix: string): Promise<number> =>
  (await listedObjects(BUCKET, prefix)).size;

remoteTest(
  "a gc --remote cut off by the server stopping mid-sweep leaves the remote naming only what it holds; the next gc completes",
  () =>
    withDirs(async (dir) => {
      const a = `${dir}/a`;
      const prefix = `gc-fault/${crypto.randomUUID()}`;
      const url = `s3://${BUCKET}/${prefix}`;
      await runDemo(a, { rate: 1.1, n: 2 });
      await runDemo(a, { rate: 1.3, n: 150, name: "other" });
      await ok(["remote", "add", "origin", url, "--endpoint", s3Server().endpoint, "--store", a]);
      await ok(["push", "--store", a]);
      await ok(["push", "--delete", "other", "--store", a]);
      const total = await countObjects(prefix);
      const live = (await closure(a, "demo")).size;

      const child = spawnCairn([...GC_REMOTE_NOW, "--store", a], { AWS_MAX_ATTEMPTS: "2" });
      const output = child.output();
      let exited = false;
      output.then(() => (exited = true));
      let gone = 0;
      for (let i = 0; i < 3000 && gone < 20 && !exited; i++) {
        await new Promise((r) => setTimeout(r, 10));
        gone = total - await countObjects(prefix);
      }
      if (gone < 20) {
        const early = await output;
        assert.fail(
          `gc never got to deleting (${gone} objects gone; exit ${early.code}): ${
            new TextDecoder().decode(early.stderr)
          }`,
        );
      }
      await stopGateway();
      const out = await output;
      const stderr = new TextDecoder().decode(out.stderr);
      try {
        assert.notEqual(out.code, 0, "gc finished before the server stopped: make it bigger");
        assert.match(stderr, /^error: Cannot .*is the S3 server running/m);
      } finally {
        await startGateway();
      }

      const after = await inRemote(BUCKET, prefix, dangling);
      assert.deepEqual(after.problems, [], "the remote names only what it holds");
      assert.ok(after.objects > live && after.objects < total, `${after.objects} of ${total} left`);

      const again = await json([...GC_REMOTE_NOW, "--store", a]);
      assert.equal(again.objectsRemoved, after.objects - live);
      assert.equal(await countObjects(prefix), live);
      assert.deepEqual((await inRemote(BUCKET, prefix, dangling)).problems, []);
    }),
);
