// A push cut short by the S3 server going away (radosgw stopped by pid mid-push,
// then started again): the push fails with a clear error, the remote names no
// object it does not fully hold — every object's links, every cache entry's run and
// every ref's record are there with their whole closures — the local store is
// intact, and the next push completes what the first began.
import assert from "node:assert/strict";
import { runDemo } from "../cli/_fixture.ts";
import {
  closure,
  dangling,
  inRemote,
  json,
  listedObjects,
  ok,
  spawnCairn,
  withDirs,
} from "./_cli.ts";
import { remoteTest, s3Server, startGateway, stopGateway } from "./_server.ts";

const BUCKET = "cairn-fault";

const countObjects = async (prefix: string): Promise<number> =>
  (await listedObjects(BUCKET, prefix)).size;

remoteTest(
  "a push cut off by the server stopping mid-push leaves the remote naming only what it fully holds; the next push completes",
  () =>
    withDirs(async (dir) => {
      const a = `${dir}/a`;
      const prefix = `fault/${crypto.randomUUID()}`;
      const url = `s3://${BUCKET}/${prefix}`;
      const ran = await runDemo(a, { rate: 1.1, n: 60 });
      const total = (await closure(a, "demo")).size;
      await ok(["remote", "add", "origin", url, "--endpoint", s3Server().endpoint, "--store", a]);
      // The bucket and the store's format file first, so the count below starts at 0.
      await ok(["push", "nosuch-yet", "--store", a]).catch(() => {});

      const child = spawnCairn(["push", "--store", a, "--json"], { AWS_MAX_ATTEMPTS: "2" });
      let sent = 0;
      for (let i = 0; i < 600 && sent < 20; i++) {
        await new Promise((r) => setTimeout(r, 50));
        sent = await countObjects(prefix);
      }
      assert.ok(sent >= 20, `the push never got going (${sent} objects after 30 s)`);
      await stopGateway();
      const out = await child.output();
      const stderr = new TextDecoder().decode(out.stderr);
      try {
        assert.notEqual(out.code, 0, "the push finished before the server stopped: make it bigger");
        assert.match(stderr, /^error: Cannot .*is the S3 server running/m);
        assert.doesNotMatch(stderr, /unexpected failure/);
      } finally {
        await startGateway();
      }

      const after = await inRemote(BUCKET, prefix, dangling);
      assert.deepEqual(after.problems, [], "the remote names only what it holds");
      assert.ok(after.objects > 0 && after.objects < total, `${after.objects} of ${total} sent`);
      assert.equal(after.refs, 0, "no ref before its record's closure is complete");
      assert.equal((await json(["fsck", "--store", a])).ok, true, "the local store is intact");

      const resumed = await json(["push", "--store", a]);
      assert.equal(resumed.refs[0].result, "created");
      assert.equal(resumed.refs[0].to, ran.record);
      assert.equal(resumed.objects, total - after.objects, "what was sent is not sent again");
      const done = await inRemote(BUCKET, prefix, dangling);
      assert.deepEqual(done.problems, []);
      assert.equal(done.objects, total);
      assert.equal(done.refs, 1);
      const cached = await inRemote(BUCKET, prefix, (s) => s.index("cache").snapshot());
      assert.equal(cached.size, new Set(ran.invocations.map((i) => i.run)).size);
    }),
);
