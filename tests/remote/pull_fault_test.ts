// A pull cut short by the S3 server going away (radosgw stopped by pid mid-`pull
// --all`, then started again): the pull fails with a clear error naming the remote
// and what to do, the local store holds only complete objects and closures (fsck
// finds nothing wrong, no file in transit is left), no ref moved, and the next pull
// completes what the first began.
import assert from "node:assert/strict";
import { runDemo } from "../cli/_fixture.ts";
import { closure, inStore, json, ok, spawnCairn, withDirs } from "./_cli.ts";
import { remoteTest, s3Server, startGateway, stopGateway } from "./_server.ts";

const BUCKET = "cairn-pull-fault";

// Objects in the local store at `root` (the files of objects/).
const countLocal = (root: string): number => {
  let n = 0;
  try {
    for (const fan of Deno.readDirSync(`${root}/objects`)) {
      if (fan.isDirectory) { for (const _ of Deno.readDirSync(`${root}/objects/${fan.name}`)) n++; }
    }
  } catch {
    // Not made yet.
  }
  return n;
};

// Files anywhere under `dir` (scratch files in transit).
const filesUnder = (dir: string): string[] => {
  const out: string[] = [];
  try {
    for (const e of Deno.readDirSync(dir)) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory) out.push(...filesUnder(path));
      else out.push(path);
    }
  } catch {
    // Absent.
  }
  return out;
};

remoteTest(
  "a pull --all cut off by the server stopping says which remote failed and what to do, leaves only complete objects, moves no ref; the next pull completes",
  () =>
    withDirs(async (dir) => {
      const a = `${dir}/a`;
      const b = `${dir}/b`;
      const prefix = `pull-fault/${crypto.randomUUID()}`;
      const url = `s3://${BUCKET}/${prefix}`;
      const ran = await runDemo(a, { rate: 1.1, n: 60 });
      const total = (await closure(a, "demo")).size;
      for (const root of [a, b]) {
        await inStore(root, (s) => s.listRefs()); // creates b
        await ok([
          "remote",
          "add",
          "origin",
          url,
          "--endpoint",
          s3Server().endpoint,
          "--store",
          root,
        ]);
      }
      await ok(["push", "--store", a]);

      const child = spawnCairn(["pull", "demo", "--all", "--store", b], { AWS_MAX_ATTEMPTS: "2" });
      const before = countLocal(b);
      let got = 0;
      for (let i = 0; i < 1200 && got < 20; i++) {
        await new Promise((r) => setTimeout(r, 25));
        got = countLocal(b) - before;
      }
      assert.ok(got >= 20, `the pull never got going (${got} objects after 30 s)`);
      await stopGateway();
      const out = await child.output();
      const stderr = new TextDecoder().decode(out.stderr);
      try {
        assert.notEqual(out.code, 0, "the pull finished before the server stopped: make it bigger");
        assert.equal(out.code, 1, stderr);
        assert.match(
          stderr,
          /^error: Cannot pull from remote "origin" \(s3:\/\/cairn-pull-fault\//m,
        );
        assert.match(stderr, /is the S3 server running/);
        assert.match(stderr, /run the pull again/);
        assert.doesNotMatch(stderr, /unexpected failure/);
      } finally {
        await startGateway();
      }

      const partial = countLocal(b);
      assert.ok(partial < total, `${partial} of ${total} pulled`);
      assert.deepEqual(
        filesUnder(`${b}/tmp`).filter((f) => !f.includes("/sessions/")),
        [],
        "nothing left in transit",
      );
      const fsck = await json(["fsck", "--store", b]);
      assert.equal(fsck.ok, true, JSON.stringify(fsck));
      assert.equal(await inStore(b, (s) => s.readRef("scenarios/demo")), null, "no ref moved");
      assert.equal(
        await inStore(b, (s) => s.readRef("remotes/origin/scenarios/demo")),
        null,
        "no tracking ref either",
      );

      const resumed = await json(["pull", "demo", "--all", "--store", b]);
      assert.equal(resumed.refs[0].result, "created");
      assert.equal(resumed.refs[0].to, ran.record);
      assert.equal(resumed.objects, total - partial, "what was pulled is not pulled again");
      assert.deepEqual(new Set(await inStore(b, (s) => s.listObjects())), await closure(a, "demo"));
      assert.equal((await json(["fsck", "--store", b])).ok, true);
      assert.equal(resumed.cacheEntries, new Set(ran.invocations.map((i) => i.run)).size);
    }),
);
