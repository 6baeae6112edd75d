// Remote gc (`cairn gc --remote`) against a real radosgw: a scenario deleted from the
// remote (`push --delete`) stays while its reflog entries are roots and while its
// objects are younger than the grace period; then the dry run reports exactly what no
// root reaches and removes nothing, and the real run removes exactly that — cache
// entries naming it first — leaving the live scenario whole (it pulls --all and
// verifies). An upload under way (objects sent, not yet named) survives a gc with
// a grace period shorter than the age of everything else.
import assert from "node:assert/strict";
import * as Effect from "effect/Effect";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { decodeCacheValue } from "../../lib/model/cache_entry.ts";
import { copyObjects } from "../../lib/remote/copy_objects.ts";
import { runDemo } from "../cli/_fixture.ts";
import {
  cairnWith,
  dangling,
  GC_REMOTE_NOW,
  inRemote,
  inStore,
  json,
  listedObjects,
  ok,
  reachable,
  withBoth,
  withDirs,
} from "./_cli.ts";
import { remoteTest, s3Server } from "./_server.ts";

const BUCKET = "cairn-gc";

// Every object the remote's ref reaches, on the remote.
const remoteClosure = (prefix: string, ref: string) =>
  inRemote(BUCKET, prefix, (s) => reachable(s, ref));

// The remote's objects with their sizes, listed by the raw client (not the store's code).
const remoteObjects = (prefix: string) => listedObjects(BUCKET, prefix);

const cachedRuns = (prefix: string) =>
  inRemote(BUCKET, prefix, (s) => s.index("cache").snapshot()).then((snap) =>
    [...snap.values()].flat().map((v) => decodeCacheValue(v)!.run)
  );

const setup = async (dir: string) => {
  const a = `${dir}/a`;
  const prefix = `gc/${crypto.randomUUID()}`;
  const url = `s3://${BUCKET}/${prefix}`;
  const demo = await runDemo(a, { rate: 1.1, n: 2 });
  const other = await runDemo(a, { rate: 1.3, n: 2, name: "other" });
  await ok(["remote", "add", "origin", url, "--endpoint", s3Server().endpoint, "--store", a]);
  await ok(["push", "--store", a]);
  return { a, prefix, url, demo, other };
};

remoteTest(
  "gc --remote removes exactly what no root of the remote reaches once the reflog and the grace period let it, cache entries first; the live scenario pulls whole",
  () =>
    withDirs(async (dir) => {
      const { a, prefix, demo, other } = await setup(dir);
      const before = await remoteObjects(prefix);
      const runsBefore = await cachedRuns(prefix);

      const deleted = await json(["push", "--delete", "other", "--store", a]);
      assert.deepEqual(deleted.refs, [{
        scenario: "other",
        from: other.record,
        result: "deleted",
      }]);
      assert.deepEqual(
        (await inRemote(BUCKET, prefix, (s) => s.listRefs())).map((r) => r.name),
        ["scenarios/demo"],
      );
      assert.equal(
        (await cairnWith(["push", "--delete", "other", "--store", a])).code,
        2,
        "deleting what the remote lacks is an error",
      );

      const live = await remoteClosure(prefix, "scenarios/demo");
      const doomed = new Set([...before.keys()].filter((id) => !live.has(id)));
      assert.ok(doomed.has(other.record), "the deleted scenario's record is unreachable");
      assert.ok(doomed.size > 1, `${doomed.size} objects only "other" reached`);
      const doomedBytes = [...doomed].reduce((n, id) => n + before.get(id)!, 0);
      const doomedEntries = runsBefore.filter((run) => doomed.has(run)).length;
      assert.ok(doomedEntries > 0, "some cache entries name the deleted scenario's runs");

      // Reflog entries younger than 90 days are roots, as in a local store.
      const reflogKept = await json(["gc", "--remote", "origin", "--grace", "0s", "--store", a]);
      assert.equal(reflogKept.objectsRemoved, 0);
      assert.equal(reflogKept.youngKept, 0);
      assert.equal(reflogKept.reachable, before.size);

      // The default grace period (7 days) keeps everything, as unreachable but young.
      const graceKept = await json([
        "gc",
        "--remote",
        "origin",
        "--reflog-expiry",
        "0s",
        "--store",
        a,
      ]);
      assert.equal(graceKept.objectsRemoved, 0);
      assert.equal(graceKept.indexEntriesRemoved, 0);
      assert.equal(graceKept.youngKept, doomed.size);
      assert.equal(graceKept.reachable, live.size);
      assert.deepEqual(await remoteObjects(prefix), before);

      const args = GC_REMOTE_NOW;
      const dry = await json([...args, "--dry-run", "--store", a]);
      assert.equal(dry.dryRun, true);
      assert.equal(dry.remote, "origin");
      assert.equal(dry.objectsRemoved, doomed.size);
      assert.equal(dry.bytesRemoved, doomedBytes);
      assert.equal(dry.indexEntriesRemoved, doomedEntries);
      assert.deepEqual(await remoteObjects(prefix), before, "a dry run removes nothing");
      assert.deepEqual(await cachedRuns(prefix), runsBefore);
      const text = await ok([...args, "--dry-run", "--store", a]);
      assert.match(text, new RegExp(`would remove ${doomed.size} objects`));

      const real = await json([...args, "--store", a]);
      assert.equal(real.objectsRemoved, doomed.size);
      assert.equal(real.bytesRemoved, doomedBytes);
      const after = await remoteObjects(prefix);
      assert.deepEqual(new Set(after.keys()), live, "exactly the unreachable objects went");
      assert.deepEqual(
        (await cachedRuns(prefix)).sort(),
        runsBefore.filter((run) => !doomed.has(run)).sort(),
        "exactly the cache entries naming them went",
      );
      const check = await inRemote(BUCKET, prefix, dangling);
      assert.deepEqual(check.problems, [], "the remote names nothing it lacks");
      const again = await json([...args, "--store", a]);
      assert.equal(again.objectsRemoved, 0, "a second pass finds nothing");

      // The live scenario comes back whole into an empty store, and verifies.
      const b = `${dir}/b`;
      await inStore(b, (s) => s.listRefs()); // creates b
      await ok([
        "remote",
        "add",
        "origin",
        `s3://${BUCKET}/${prefix}`,
        "--endpoint",
        s3Server().endpoint,
        "--store",
        b,
      ]);
      const pulled = await json(["pull", "--all", "--store", b]);
      assert.deepEqual(pulled.refs.map((r: { scenario: string }) => r.scenario), ["demo"]);
      assert.equal((await json(["fsck", "--store", b])).ok, true);
      const onB = await runDemo(b, { rate: 1.1, n: 2 });
      assert.ok(onB.invocations.every((i) => i.hit), "the pulled runs are all hits");
      assert.deepEqual(onB.invocations.map((i) => i.run), demo.invocations.map((i) => i.run));
    }),
);

remoteTest(
  "an upload under way — objects sent, not yet named — survives gc --remote thanks to the grace period, with the old objects it links to",
  () =>
    withDirs(async (dir) => {
      const { a, prefix, other } = await setup(dir);
      await ok(["push", "--delete", "other", "--store", a]);
      const live = await remoteClosure(prefix, "scenarios/demo");
      // Let everything pushed so far grow older than the grace period used below.
      await new Promise((r) => setTimeout(r, 15_000));

      // Another scenario of the same runs: a new record linking the deleted one's runs.
      const third = await runDemo(a, { rate: 1.3, n: 2, name: "third" });
      assert.ok(third.invocations.every((i) => i.hit));
      // A push's first phase (children first; the ref is written last, not yet).
      const scratch = `${dir}/scratch`;
      Deno.mkdirSync(scratch);
      const sent = await withBoth(a, BUCKET, prefix, (local, remote) =>
        copyObjects(local, remote, [{ id: third.record, kind: "record" }], {
          bytes: true,
          trustPresent: true,
          scratch,
        }));
      assert.equal(sent.objects, 1, "only the new record was missing there");

      const r = await json([
        "gc",
        "--remote",
        "origin",
        "--reflog-expiry",
        "0s",
        "--grace",
        "12s",
        "--store",
        a,
      ]);
      // The deleted scenario's record goes; its runs, which the young record links, stay.
      assert.equal(r.objectsRemoved, 1);
      const objects = await remoteObjects(prefix);
      assert.ok(!objects.has(other.record));
      assert.ok(objects.has(third.record));

      // The push ends: it names what it sent, as push does without looking again.
      await withBoth(a, BUCKET, prefix, (_local, remote) =>
        remote.updateRef("scenarios/third", third.record, { expected: null, message: "push" }));
      const check = await inRemote(BUCKET, prefix, dangling);
      assert.deepEqual(check.problems, [], "the remote names nothing it lacks");
      const thirdClosure = await remoteClosure(prefix, "scenarios/third");
      assert.deepEqual(
        new Set(objects.keys()),
        new Set([...live, ...thirdClosure]),
        "what either live scenario reaches, nothing else",
      );
    }),
);

remoteTest(
  "gc --remote over a damaged scenario record stops, saying so, and removes nothing it names; a dry run leaves the record where it is",
  () =>
    withDirs(async (dir) => {
      const { a, prefix, demo } = await setup(dir);
      const live = await remoteClosure(prefix, "scenarios/demo");
      const { client } = s3Server();
      const key = `${prefix}/objects/${demo.record.slice(0, 2)}/${demo.record.slice(2)}`;
      const garbage = new TextEncoder().encode("not the record these bytes should be");
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: garbage }));
      const aside = async () =>
        (await client.send(
          new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/quarantine/` }),
        )).Contents ?? [];

      const dry = await cairnWith(["gc", "--remote", "origin", "--dry-run", "--store", a]);
      assert.notEqual(dry.code, 0, "a damaged root is an error");
      assert.match(dry.stderr, /damaged/);
      assert.match(dry.stderr, new RegExp(demo.record.slice(0, 12)));
      // Still there, as it was: a dry run changes nothing on the remote.
      const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      assert.deepEqual(new Uint8Array(await got.Body!.transformToByteArray()), garbage);
      assert.deepEqual(await aside(), [], "nothing set aside by a dry run");

      // The real run, with nothing kept by age: it stops too, before deleting anything
      // the record names (read as a blob, it would name nothing and its runs would go).
      const real = await cairnWith([...GC_REMOTE_NOW, "--store", a]);
      assert.notEqual(real.code, 0);
      assert.match(real.stderr, /damaged/);
      const objects = await remoteObjects(prefix);
      for (const id of live) {
        if (id !== demo.record) assert.ok(objects.has(id), `${id} is still on the remote`);
      }
    }),
);

remoteTest(
  "gc --remote keeps a cut link while the record cut from it may still come (a push under way), and drops it with its record",
  () =>
    withDirs(async (dir) => {
      const { prefix } = await setup(dir);
      const gone = "ab".repeat(32); // what a local gc removed
      const coming = "cd".repeat(32); // a record a push has not uploaded yet
      const left = await inRemote(BUCKET, prefix, (s) =>
        Effect.gen(function* () {
          // A record no root reaches, whose link was cut: both go.
          const { id } = yield* s.putRecord({ type: "note", links: [gone] });
          yield* s.addCuts([[id, gone], [coming, gone]]);
          const report = yield* s.gc({ graceMs: 0 });
          return { id, report, cuts: yield* s.cuts(), has: yield* s.has(id) };
        }));
      assert.equal(left.has, false, "the unreachable record went");
      assert.equal(left.report.missing, 0);
      assert.deepEqual(left.cuts, new Map([[coming, new Set([gone])]]));
    }),
);
