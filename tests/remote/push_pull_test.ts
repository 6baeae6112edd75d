// Remotes on a local store, through the CLI as a user runs it, against a real
// radosgw (see _server.ts): `remote add`/`ls`, `push` of a scenario's closure (only
// what the remote lacks, refs by CAS, fast-forward only), `pull` of the records
// into an empty store (lineage works there without the bytes), `pull --all` of every
// byte, after which the same program on the second store is all cache hits.
import assert from "node:assert/strict";
import * as Effect from "effect/Effect";
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { runDemo } from "../cli/_fixture.ts";
import { cairnWith, closure, inRemote, inStore, json, ok, withDirs } from "./_cli.ts";
import { remoteTest, s3Server } from "./_server.ts";

const BUCKET = "cairn-push";

remoteTest(
  "push sends a scenario's closure and its cache entries, then only what the remote lacks; refs move forward by CAS",
  () =>
    withDirs(async (dir) => {
      const a = `${dir}/a`;
      const prefix = `push/${crypto.randomUUID()}`;
      const url = `s3://${BUCKET}/${prefix}`;
      const first = await runDemo(a, { rate: 1.1, n: 2 });
      await ok(["remote", "add", "origin", url, "--endpoint", s3Server().endpoint, "--store", a]);
      assert.deepEqual(await json(["remote", "ls", "--store", a]), [
        { name: "origin", url, endpoint: s3Server().endpoint },
      ]);

      const pushed = await json(["push", "--store", a]);
      const reach = await closure(a, "demo");
      assert.deepEqual(pushed.refs, [
        { scenario: "demo", from: null, to: first.record, result: "created" },
      ]);
      assert.equal(pushed.objects, reach.size, "every object of the closure, once");
      assert.ok(pushed.bytes > 0);
      const runs = new Set(first.invocations.map((i) => i.run));
      assert.equal(pushed.cacheEntries, runs.size, "a cache entry per run");
      const remote = await inRemote(BUCKET, prefix, (s) =>
        Effect.gen(function* () {
          return {
            ref: yield* s.readRef("scenarios/demo"),
            objects: new Set(yield* s.listObjects()),
            cache: yield* s.index("cache").snapshot(),
          };
        }));
      assert.equal(remote.ref, first.record);
      assert.deepEqual([...remote.objects].sort(), [...reach].sort());
      const cachedRuns = [...remote.cache.values()].map((v) => v[0]!.slice(0, 64));
      assert.deepEqual(new Set(cachedRuns), runs);

      const again = await json(["push", "--store", a]);
      assert.equal(again.objects, 0, "nothing new: nothing sent");
      assert.equal(again.refs[0].result, "up-to-date");

      // A second record of the scenario: only what is new goes; the ref fast-forwards.
      const second = await runDemo(a, { rate: 1.2, n: 2 });
      const onward = await json(["push", "demo", "--store", a]);
      assert.deepEqual(onward.refs, [
        { scenario: "demo", from: first.record, to: second.record, result: "fast-forward" },
      ]);
      const reachNow = await closure(a, "demo");
      assert.equal(onward.objects, reachNow.size - reach.size, "only the new objects");
      assert.ok(onward.present > 0, "the old ones were found there");

      // A store whose history diverged from the remote's is refused, and says so.
      const c = `${dir}/c`;
      await runDemo(c, { rate: 3, n: 1 });
      await ok(["remote", "add", "origin", url, "--endpoint", s3Server().endpoint, "--store", c]);
      const refused = await cairnWith(["push", "--store", c, "--json"]);
      assert.equal(refused.code, 1);
      const r = JSON.parse(refused.stdout);
      assert.equal(r.refs[0].result, "rejected");
      assert.equal(r.objects, 0, "nothing is sent for a rejected ref");
      assert.equal(
        await inRemote(BUCKET, prefix, (s) => s.readRef("scenarios/demo")),
        second.record,
      );
      assert.equal((await cairnWith(["push", "nosuch", "--store", c])).code, 2);
    }),
);

// The objects the store's records name and it lacks (its own fsck's "missing").
const namedAndLacking = (root: string) =>
  inStore(root, (s) =>
    Effect.map(
      s.fsck({ quick: true }),
      (r) => [...new Set(r.problems.filter((p) => p.kind === "missing").map((p) => p.subject))],
    ));

remoteTest(
  "pull brings the records and refs without the bytes (lineage works), --all every byte; then the program is all hits",
  () =>
    withDirs(async (dir) => {
      const a = `${dir}/a`;
      const b = `${dir}/b`;
      const prefix = `pull/${crypto.randomUUID()}`;
      const url = `s3://${BUCKET}/${prefix}`;
      const ran = await runDemo(a, { rate: 1.1, n: 3 });
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

      const pulled = await json(["pull", "demo", "--store", b]);
      assert.deepEqual(pulled.refs, [
        { scenario: "demo", from: null, to: ran.record, result: "created" },
      ]);
      const records = await inStore(a, (s) =>
        Effect.gen(function* () {
          const out: string[] = [];
          for (const id of yield* s.listObjects()) {
            if ((yield* s.identify(id)) === "record") out.push(id);
          }
          return out.sort();
        }));
      const inB = await inStore(b, (s) => s.listObjects());
      assert.deepEqual([...inB].sort(), records, "the records only, no bytes");
      assert.equal(pulled.cacheEntries, 0, "no cache entry names outputs that are not here");
      // fsck asks the remote about what the store names and lacks: the bytes the pull
      // left there are not problems, and it says how many there are.
      const lazy = JSON.parse((await cairnWith(["fsck", "--store", b, "--json"])).stdout);
      assert.deepEqual(lazy.problems, []);
      assert.equal(lazy.ok, true);
      // What the store names and lacks, as the store's own fsck sees it (it asks no remote).
      const lacking = await namedAndLacking(b);
      assert.ok(lacking.length > 0);
      assert.deepEqual(lazy.remote, { name: "origin", held: lacking.length });
      assert.match((await cairnWith(["fsck", "--store", b])).stdout, /on remote "origin" only/);
      assert.equal(
        await inStore(b, (s) => s.readRef("remotes/origin/scenarios/demo")),
        ran.record,
      );
      // Queries on the records alone answer as on the store that ran them.
      const runsA = await json(["runs", "--store", a]);
      assert.deepEqual(await json(["runs", "--store", b]), runsA);
      assert.deepEqual(
        await json(["lineage", "demo", "--store", b]),
        await json(["lineage", "demo", "--store", a]),
      );

      const all = await json(["pull", "--all", "--store", b]);
      assert.equal(all.refs[0].result, "up-to-date");
      assert.ok(all.objects > 0 && all.bytes > 0);
      const reach = await closure(a, "demo");
      assert.deepEqual(new Set(await inStore(b, (s) => s.listObjects())), reach);
      assert.equal(all.cacheEntries, new Set(ran.invocations.map((i) => i.run)).size);
      assert.equal((await json(["fsck", "--store", b])).ok, true);

      // Every step of the same program on b is a hit on a's runs.
      const onB = await runDemo(b, { rate: 1.1, n: 3 });
      assert.ok(onB.invocations.every((i) => i.hit), JSON.stringify(onB.invocations));
      assert.deepEqual(onB.invocations.map((i) => i.run), ran.invocations.map((i) => i.run));

      const unknown = await cairnWith(["pull", "nosuch", "--store", b]);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /no such scenario/);

      // A store pulled without the bytes, and an object the remote lost too: that one is
      // missing, said as such (exit 1); the others are on the remote.
      const c = `${dir}/c`;
      await inStore(c, (s) => s.listRefs());
      await ok(["remote", "add", "origin", url, "--endpoint", s3Server().endpoint, "--store", c]);
      await ok(["pull", "demo", "--store", c]);
      const lost = (await namedAndLacking(c))[0]!;
      await s3Server().client.send(
        new DeleteObjectCommand({
          Bucket: BUCKET,
          Key: `${prefix}/objects/${lost.slice(0, 2)}/${lost.slice(2)}`,
        }),
      );
      const damaged = await cairnWith(["fsck", "--store", c, "--json"]);
      assert.equal(damaged.code, 1);
      const report = JSON.parse(damaged.stdout);
      assert.equal(report.ok, false);
      assert.deepEqual(
        [...new Set(report.problems.map((p: { kind: string; subject: string }) => p.subject))],
        [lost],
      );
      assert.ok(report.problems.every((p: { kind: string }) => p.kind === "missing"));
      assert.equal(report.remote.held, lacking.length - 1);
    }),
);
