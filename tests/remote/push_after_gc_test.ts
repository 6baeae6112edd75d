// `cairn push` of a history that a local `gc --keep-last 1` shortened, against a real
// radosgw (see _server.ts): the kept record still names the parent gc removed.
import assert from "node:assert/strict";
import * as Effect from "effect/Effect";
import type { ObjectStoreApi } from "../../store/object_store.ts";
import { runDemo } from "../cli/_fixture.ts";
import { cairnWith, dangling, inRemote, inStore, json, ok, withDirs } from "./_cli.ts";
import { closingLine } from "./_closing_line.ts";
import { remoteTest, s3Server } from "./_server.ts";

const BUCKET = "cairn-push-after-gc";

// Every object `head` reaches in `store`, not following links the store lacks.
const presentClosure = (store: ObjectStoreApi, head: string) =>
  Effect.gen(function* () {
    const present = new Set(yield* store.listObjects());
    const seen = new Set<string>();
    const stack = [head];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id) || !present.has(id)) continue;
      seen.add(id);
      const kind = yield* store.identify(id);
      if (kind === "record") stack.push(...((yield* store.readRecord(id)).links ?? []));
      if (kind === "tree") stack.push(...(yield* store.readTree(id)).map((e) => e.id));
    }
    return seen;
  });

// The test's store and a remote prefix of its own.
const place = (dir: string) => {
  const prefix = `after-gc/${crypto.randomUUID()}`;
  return { a: `${dir}/a`, prefix, url: `s3://${BUCKET}/${prefix}` };
};

const addRemote = (root: string, url: string) =>
  ok(["remote", "add", "origin", url, "--endpoint", s3Server().endpoint, "--store", root]);

remoteTest(
  "push after gc --keep-last 1 sends the kept record and what it names to an empty remote; a store pulling --all from it is sound and all hits",
  () =>
    withDirs(async (dir) => {
      const { a, prefix, url } = place(dir);
      await runDemo(a, { rate: 1.1, n: 2 });
      await runDemo(a, { rate: 1.2, n: 2 });
      const newest = await runDemo(a, { rate: 1.3, n: 2 });
      const gc = await json(["gc", "--keep-last", "1", "--grace", "0s", "--store", a]);
      assert.equal(gc.scenarioRecordsDropped, 2);
      assert.equal((await cairnWith(["fsck", "--store", a])).code, 0);
      const kept = await inStore(a, (s) => presentClosure(s, newest.record));
      const parent = await inStore(a, (s) => s.readRecord(newest.record)).then((r) => r.parent);
      assert.equal(typeof parent, "string");
      assert.ok(!kept.has(parent as string), "gc removed the kept record's parent");

      await addRemote(a, url);
      const pushed = await cairnWith(["push", "--store", a, "--json"]);
      assert.equal(pushed.code, 0, pushed.stderr);
      const report = JSON.parse(pushed.stdout);
      assert.deepEqual(report.refs, [
        { scenario: "demo", from: null, to: newest.record, result: "created" },
      ]);
      assert.equal(report.objects, kept.size, "the kept closure, nothing more");
      assert.equal(report.cutLinks, 1);
      const remote = await inRemote(BUCKET, prefix, (s) =>
        Effect.gen(function* () {
          return {
            ref: yield* s.readRef("scenarios/demo"),
            objects: new Set(yield* s.listObjects()),
            dangling: yield* dangling(s, true),
          };
        }));
      assert.equal(remote.ref, newest.record);
      for (const id of kept) assert.ok(remote.objects.has(id), `${id} is on the remote`);
      assert.deepEqual(remote.dangling.problems, []);
      assert.deepEqual(remote.dangling.cut, [`${newest.record} ${parent}`], "the cut, said as one");

      // Remote gc takes the cut for one (nothing missing) and keeps it with its record.
      const collected = await json(["gc", "--remote", "origin", "--grace", "0s", "--store", a]);
      assert.equal(collected.missing, 0);
      assert.equal(collected.objectsRemoved, 0);
      assert.equal(collected.indexEntriesRemoved, 0);
      assert.deepEqual(
        (await inRemote(BUCKET, prefix, (s) => dangling(s, true))).cut,
        [`${newest.record} ${parent}`],
      );

      const b = `${dir}/b`;
      await inStore(b, (s) => s.listRefs());
      await addRemote(b, url);
      const pulled = await cairnWith(["pull", "--all", "--store", b, "--json"]);
      assert.equal(pulled.code, 0, pulled.stderr);
      assert.equal(JSON.parse(pulled.stdout).cutLinks, 1);
      assert.deepEqual(new Set(await inStore(b, (s) => s.listObjects())), kept);
      const fsck = await cairnWith(["fsck", "--store", b, "--json"]);
      assert.equal(fsck.code, 0, fsck.stdout + fsck.stderr);
      assert.deepEqual(JSON.parse(fsck.stdout).problems, []);
      assert.equal(await inStore(b, (s) => s.readRef("scenarios/demo")), newest.record);
      const again = await runDemo(b, { rate: 1.3, n: 2 });
      assert.ok(again.invocations.every((i) => i.hit), JSON.stringify(again.invocations));
      assert.equal(again.final, newest.final);
    }),
);

remoteTest(
  "push after gc --keep-last 1 fast-forwards a remote that holds the older history",
  () =>
    withDirs(async (dir) => {
      const { a, prefix, url } = place(dir);
      await runDemo(a, { rate: 1.1, n: 2 });
      await addRemote(a, url);
      const second = await runDemo(a, { rate: 1.2, n: 2 });
      await ok(["push", "--store", a]);
      const gc = await json(["gc", "--keep-last", "1", "--grace", "0s", "--store", a]);
      assert.equal(gc.scenarioRecordsDropped, 1);
      const third = await runDemo(a, { rate: 1.3, n: 2 });

      const pushed = await cairnWith(["push", "--store", a, "--json"]);
      assert.equal(pushed.code, 0, pushed.stderr);
      assert.deepEqual(JSON.parse(pushed.stdout).refs, [
        { scenario: "demo", from: second.record, to: third.record, result: "fast-forward" },
      ]);
      const remote = await inRemote(BUCKET, prefix, (s) =>
        Effect.gen(function* () {
          return { ref: yield* s.readRef("scenarios/demo"), dangling: yield* dangling(s) };
        }));
      assert.equal(remote.ref, third.record);
      assert.deepEqual(remote.dangling.problems, []);

      const b = `${dir}/b`;
      await inStore(b, (s) => s.listRefs());
      await addRemote(b, url);
      await ok(["pull", "--all", "--store", b]);
      const fsck = await cairnWith(["fsck", "--store", b, "--json"]);
      assert.equal(fsck.code, 0, fsck.stdout + fsck.stderr);
      const history = await json(["scenarios", "--store", b]);
      assert.ok(JSON.stringify(history).includes(third.record));
    }),
);

remoteTest(
  "push refuses, saying why, a history gc shortened below the remote's record, and --force sends it with the cut",
  () =>
    withDirs(async (dir) => {
      const { a, prefix, url } = place(dir);
      const first = await runDemo(a, { rate: 1.1, n: 2 });
      await addRemote(a, url);
      await ok(["push", "--store", a]);
      await runDemo(a, { rate: 1.2, n: 2 }); // never pushed
      const third = await runDemo(a, { rate: 1.3, n: 2 });
      await ok(["gc", "--keep-last", "1", "--grace", "0s", "--store", a]);
      const parent = await inStore(a, (s) => s.readRecord(third.record)).then((r) => r.parent);

      // Whether the remote's record is in the history cannot be told here any more.
      const refused = await cairnWith(["push", "--store", a, "--json"]);
      assert.equal(refused.code, 1, refused.stderr);
      const r = JSON.parse(refused.stdout);
      assert.equal(r.refs[0].result, "rejected");
      assert.match(r.refs[0].detail, /shortened here by "cairn gc"/);
      assert.match(r.refs[0].detail, /push --force/);
      assert.equal(r.objects, 0, "nothing is sent for a rejected ref");
      assert.equal(
        await inRemote(BUCKET, prefix, (s) => s.readRef("scenarios/demo")),
        first.record,
      );

      const forced = await json(["push", "--force", "--store", a]);
      assert.deepEqual(forced.refs, [
        { scenario: "demo", from: first.record, to: third.record, result: "forced" },
      ]);
      const remote = await inRemote(BUCKET, prefix, (s) => dangling(s, true));
      assert.deepEqual(remote.problems, []);
      assert.deepEqual(remote.cut, [`${third.record} ${parent}`]);
    }),
);

remoteTest(
  "a run writing through to an empty remote after gc --keep-last 1 uploads its record and the shortened history, the cut said as one",
  () =>
    withDirs(async (dir) => {
      Deno.env.set("AWS_ACCESS_KEY_ID", s3Server().credentials.accessKeyId);
      Deno.env.set("AWS_SECRET_ACCESS_KEY", s3Server().credentials.secretAccessKey);
      const { a, prefix, url } = place(dir);
      await runDemo(a, { rate: 1.1, n: 2 });
      const kept = await runDemo(a, { rate: 1.2, n: 2 });
      await ok(["gc", "--keep-last", "1", "--grace", "0s", "--store", a]);
      const parent = await inStore(a, (s) => s.readRecord(kept.record)).then((r) => r.parent);
      await addRemote(a, url);

      const log: string[] = [];
      const ran = await runDemo(a, { rate: 1.3, n: 2, remote: "origin", log: (l) => log.push(l) });
      assert.ok(!log.some((l) => /not uploaded|Cannot/.test(l)), log.join("\n"));
      assert.equal(closingLine(log).scenarios, 1, "the scenario record went up");
      const remote = await inRemote(BUCKET, prefix, (s) =>
        Effect.gen(function* () {
          return { ref: yield* s.readRef("scenarios/demo"), dangling: yield* dangling(s, true) };
        }));
      assert.equal(remote.ref, ran.record);
      assert.deepEqual(remote.dangling.problems, []);
      assert.deepEqual(remote.dangling.cut, [`${kept.record} ${parent}`]);
    }),
);
