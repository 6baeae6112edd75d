// The remote cache during a run (`remote: "origin"`), against a real radosgw (see
// _server.ts): host A's run writes through (outputs, run records, cache entries; the
// remote names only what it holds); a second, empty store with the same remote runs
// the same program as 100% hits and downloads only the bytes its own decoding needs;
// lineage there shows A's runs; the server stopped mid-run leaves the run succeeding
// locally with a warning and a push that completes later; bytes a pull without --all
// left on the remote come down when materialize reads them.
import assert from "node:assert/strict";
import * as Context from "effect/Context";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import { Json, Pipeline, read, RemoteCache, scenario, step, Text, workers } from "../../mod.ts";
import { ObjectStore } from "../../store/object_store.ts";
import { layerS3 } from "../../store/s3/layer_s3.ts";
import { decodeRunRecord } from "../../lib/model/run_record.ts";
import { sendScenario } from "../../lib/remote/scenario_through.ts";
import { double, where } from "../lib/pipeline/workers/_steps.ts";
import { runDemo } from "../cli/_fixture.ts";
import { withProject } from "../lib/pipeline/_project.ts";
import { PATH } from "../lib/pipeline/command/_model.ts";
import {
  cairnWith,
  closure,
  dangling,
  inRemote,
  inStore,
  json,
  ok,
  withBoth,
  withDirs,
} from "./_cli.ts";
import { remoteTest, s3Server, startGateway, stopGateway } from "./_server.ts";
import { closingLine } from "./_closing_line.ts";

const BUCKET = "cairn-cache";

// The SDK's credential chain, as a user's machine has it (env), for in-process runs.
const keysInEnv = () => {
  Deno.env.set("AWS_ACCESS_KEY_ID", s3Server().credentials.accessKeyId);
  Deno.env.set("AWS_SECRET_ACCESS_KEY", s3Server().credentials.secretAccessKey);
};

const addRemote = async (root: string, url: string) => {
  await inStore(root, (s) => s.listRefs()); // creates the store
  await ok(["remote", "add", "origin", url, "--endpoint", s3Server().endpoint, "--store", root]);
};

const closing = closingLine;

// The ids of the store's objects by kind.
const kinds = (root: string) =>
  inStore(root, (s) =>
    Effect.gen(function* () {
      const out = { record: new Set<string>(), blob: new Set<string>(), tree: new Set<string>() };
      for (const id of yield* s.listObjects()) out[yield* s.identify(id)].add(id);
      return out;
    }));

remoteTest(
  "a run writes through to the remote; an empty store with the same remote is all hits, downloads only what it decodes, and shows the first run's lineage",
  () =>
    withDirs(async (dir) => {
      keysInEnv();
      const a = `${dir}/a`;
      const b = `${dir}/b`;
      const prefix = `cache/${crypto.randomUUID()}`;
      const url = `s3://${BUCKET}/${prefix}`;
      await addRemote(a, url);
      await addRemote(b, url);

      const logA: string[] = [];
      const ran = await runDemo(a, { rate: 1.1, n: 3, remote: "origin", log: (l) => logA.push(l) });
      const runs = new Set(ran.invocations.map((i) => i.run));
      const upA = closing(logA);
      assert.equal(upA.runs, runs.size, "every run went up before the run returned");
      assert.equal(upA.hits, 0);
      const remote = await inRemote(BUCKET, prefix, (s) =>
        Effect.gen(function* () {
          return {
            check: yield* dangling(s),
            cache: yield* s.index("cache").snapshot(),
            refs: yield* s.listRefs(),
          };
        }));
      assert.deepEqual(remote.check.problems, [], "the remote names only what it holds");
      assert.deepEqual(
        new Set([...remote.cache.values()].map((v) => v[0]!.slice(0, 64))),
        runs,
        "a cache entry per run",
      );
      // The scenario went up with its runs: its record's closure, then its ref (by CAS),
      // with a reflog entry naming the host, and the tracking ref here.
      assert.deepEqual(remote.refs, [{ name: "scenarios/demo", id: ran.record }]);
      const reachA = await closure(a, "demo");
      assert.equal(remote.check.objects, reachA.size, "the scenario's whole closure");
      const reflogA = await inRemote(BUCKET, prefix, (s) => s.reflog("scenarios/demo"));
      assert.deepEqual(reflogA.map((e) => [e.old, e.new]), [[null, ran.record]]);
      assert.match(reflogA[0]!.message, new RegExp(`^scenario demo: ok on ${Deno.hostname()}$`));
      assert.equal(
        await inStore(a, (s) => s.readRef("scenarios/demo")),
        ran.record,
        "the local ref as without a remote",
      );
      assert.equal(await inStore(a, (s) => s.readRef("remotes/origin/scenarios/demo")), ran.record);
      assert.equal(upA.scenarios, 1, "the closing line counts the scenario record");

      const logB: string[] = [];
      const started = performance.now();
      const onB = await runDemo(b, {
        rate: 1.1,
        n: 3,
        remote: "origin",
        log: (l) => logB.push(l),
        readFinal: true,
      });
      const ms = performance.now() - started;
      assert.ok(onB.invocations.every((i) => i.hit), JSON.stringify(onB.invocations));
      assert.deepEqual(onB.invocations.map((i) => i.run), ran.invocations.map((i) => i.run));
      const down = closing(logB);
      assert.equal(down.hits, runs.size, "100% hits");
      assert.equal(down.runs, 0, "nothing computed, nothing uploaded");
      // The only bytes decoded on B are the final value's (the zones file is B's own).
      const inB = await kinds(b);
      assert.deepEqual(inB.blob, new Set([ran.final, ran.zones]));
      assert.equal(inB.tree.size, 0);
      assert.equal(down.objects, 1, "exactly one object downloaded: the one decoded");
      const finalSize = await inStore(a, (s) => s.readBlob(ran.final)).then((x) => x.length);
      assert.equal(down.bytes, finalSize);
      assert.deepEqual(
        inB.record,
        new Set([...runs, onB.record]),
        "A's run records came with the hits; B's scenario record is its own",
      );
      // Remote hit latency: the same program again on B (the SDK loaded, records here,
      // the remote asked again for every key whose outputs are not here) against the
      // same program on A, all local hits.
      const t0 = performance.now();
      await runDemo(a, { rate: 1.1, n: 3 });
      const localMs = performance.now() - t0;
      const logB1: string[] = [];
      const t1 = performance.now();
      await runDemo(b, { rate: 1.1, n: 3, remote: "origin", log: (l) => logB1.push(l) });
      const remoteMs = performance.now() - t1;
      const asked = closing(logB1).lookups;
      console.log(
        `remote hits: ${
          ((remoteMs - localMs) / Math.max(asked, 1)).toFixed(1)
        } ms per step over a local hit ` +
          `(${asked} of ${runs.size} steps asked the remote; ${remoteMs.toFixed(0)} ms vs ${
            localMs.toFixed(0)
          } ms all local; first run on B with the SDK's start: ${ms.toFixed(0)} ms); ` +
          `B downloaded ${down.bytes} B of A's ${await totalBytes(a)} B of blobs`,
      );

      // Lineage on B shows A's runs, as on A.
      const lineageB = await json(["lineage", ran.final, "--store", b]);
      const lineageA = await json(["lineage", ran.final, "--store", a]);
      assert.deepEqual(lineageB, lineageA);
      // fsck asks the remote about the bytes B lacks: every one is there, so B is sound.
      const fsckB = JSON.parse((await cairnWith(["fsck", "--store", b, "--json"])).stdout);
      assert.deepEqual(fsckB.problems, []);
      assert.ok(fsckB.remote.held > 0, JSON.stringify(fsckB.remote));

      // A miss on B whose input is a remote hit's output downloads exactly that input.
      const logB2: string[] = [];
      const other = await runDemo(b, {
        rate: 1.2,
        n: 1,
        name: "other",
        remote: "origin",
        log: (l) => logB2.push(l),
      });
      const seed = other.invocations.find((i) => i.step === "seed")!;
      assert.equal(seed.hit, true);
      assert.ok(other.invocations.filter((i) => i.step !== "seed").every((i) => !i.hit));
      const seedOutput = await inStore(b, (s) => s.readRecord(seed.run)).then(
        (r) => (r.outputs as Record<string, { id: string }>).x!.id,
      );
      const own = await inStore(b, (s) =>
        Effect.gen(function* () {
          const ids = new Set<string>();
          for (const i of other.invocations.filter((i) => !i.hit)) {
            const r = yield* s.readRecord(i.run);
            for (const o of Object.values(r.outputs as Record<string, { id: string }>)) {
              ids.add(o.id);
            }
          }
          return ids;
        }));
      const afterB = await kinds(b);
      assert.deepEqual(
        [...afterB.blob].filter((id) => !inB.blob.has(id) && !own.has(id)),
        [seedOutput],
        "the one new blob B did not make is the seed's output, which grow decoded",
      );
      const again = closing(logB2);
      assert.equal(again.objects, 1);
      assert.equal(again.runs, 2, "grow and smooth went up");
      const check = await inRemote(BUCKET, prefix, dangling);
      assert.deepEqual(check.problems, []);
    }),
);

remoteTest(
  "two stores running the same new scenario at once with one remote: both records and every cache entry on the remote, its reflog chaining both",
  () =>
    withDirs(async (dir) => {
      keysInEnv();
      const a = `${dir}/a`;
      const b = `${dir}/b`;
      const prefix = `together/${crypto.randomUUID()}`;
      const url = `s3://${BUCKET}/${prefix}`;
      await addRemote(a, url);
      await addRemote(b, url);
      const [onA, onB] = await Promise.all([
        runDemo(a, { rate: 1.3, n: 2, name: "together", remote: "origin", log: () => {} }),
        runDemo(b, { rate: 1.3, n: 2, name: "together", remote: "origin", log: () => {} }),
      ]);
      const remote = await inRemote(BUCKET, prefix, (s) =>
        Effect.gen(function* () {
          return {
            check: yield* dangling(s),
            cache: yield* s.index("cache").snapshot(),
            head: yield* s.readRef("scenarios/together"),
            reflog: yield* s.reflog("scenarios/together"),
            records: yield* s.missing([onA.record, onB.record]),
          };
        }));
      assert.deepEqual(remote.check.problems, []);
      assert.deepEqual(remote.records, [], "both scenario records are on the remote");
      // Every step's key has an entry there (each run of one store or the other).
      const keys = await inStore(a, (s) => s.index("cache").snapshot());
      for (const key of keys.keys()) assert.ok(remote.cache.has(key), `cache entry ${key}`);
      // The reflog chains both updates: created by one, moved by the other to its record.
      const moves = remote.reflog.map((e) => [e.old, e.new]);
      assert.equal(moves.length, 2, JSON.stringify(remote.reflog));
      assert.equal(moves[0]![0], null);
      assert.equal(moves[1]![0], moves[0]![1]);
      assert.deepEqual(new Set(moves.map((m) => m[1])), new Set([onA.record, onB.record]));
      assert.equal(remote.head, moves[1]![1], "the ref ends on the later of the two");
    }),
);

remoteTest(
  "a scenario's ref moved on the remote between the run's read and its compare-and-swap: read again and moved, the reflog naming both records",
  () =>
    withDirs(async (dir) => {
      const a = `${dir}/a`;
      const b = `${dir}/b`;
      const prefix = `race/${crypto.randomUUID()}`;
      const mine = await runDemo(a, { rate: 1.4, n: 1, name: "race" });
      const theirs = await runDemo(b, { rate: 1.5, n: 1, name: "race" });
      const options = {
        bucket: BUCKET,
        prefix,
        endpoint: s3Server().endpoint,
        credentials: s3Server().credentials,
      };
      const got = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
        const open = (root: string) =>
          Effect.map(Layer.build(ObjectStore.layer({ root })), (c) => Context.get(c, ObjectStore));
        const storeA = yield* open(a);
        const storeB = yield* open(b);
        const remote = Context.get(yield* Layer.build(layerS3(options)), ObjectStore);
        // The other machine's record goes up whole (as its run would send it) …
        yield* sendScenario(storeB, remote, {
          remote: "origin",
          scenario: "race",
          record: theirs.record,
          message: "scenario race: ok on b",
        });
        // … and a remote whose ref moves to it again right after this run first reads it.
        yield* remote.updateRef("scenarios/race", null, { message: "reset" });
        let reads = 0;
        const racing = {
          ...remote,
          readRef: (name: string) =>
            Effect.tap(remote.readRef(name), () =>
              reads++ === 0
                ? remote.updateRef(name, theirs.record, { message: "scenario race: ok on b" })
                : Effect.void),
        };
        const sent = yield* sendScenario(storeA, racing, {
          remote: "origin",
          scenario: "race",
          record: mine.record,
          message: "scenario race: ok on a",
        });
        return {
          sent,
          reads,
          head: yield* remote.readRef("scenarios/race"),
          reflog: yield* remote.reflog("scenarios/race"),
          check: yield* dangling(remote),
          tracking: yield* storeA.readRef("remotes/origin/scenarios/race"),
        };
      })));
      assert.ok(got.reads >= 2, "read again after the conflict");
      assert.equal(got.sent.from, theirs.record);
      assert.equal(got.head, mine.record);
      assert.deepEqual(got.reflog.slice(-2).map((e) => [e.old, e.new, e.message]), [
        [null, theirs.record, "scenario race: ok on b"],
        [theirs.record, mine.record, "scenario race: ok on a"],
      ]);
      assert.deepEqual(got.check.problems, []);
      assert.equal(got.tracking, mine.record);
    }),
);

remoteTest(
  "an older record of this store is not sent over its descendant: the remote ref stays on the newer one",
  () =>
    withDirs(async (dir) => {
      const a = `${dir}/a`;
      const prefix = `older/${crypto.randomUUID()}`;
      const first = await runDemo(a, { rate: 1.6, n: 1, name: "older" });
      const second = await runDemo(a, { rate: 1.6, n: 1, name: "older" });
      const got = await withBoth(a, BUCKET, prefix, (local, remote) =>
        Effect.gen(function* () {
          const send = (record: string) =>
            sendScenario(local, remote, {
              remote: "origin",
              scenario: "older",
              record,
              message: "m",
            });
          yield* send(second.record);
          const late = yield* send(first.record);
          return { late, head: yield* remote.readRef("scenarios/older") };
        }), true);
      assert.equal(got.late.moved, false);
      assert.equal(got.head, second.record);
    }),
);

remoteTest(
  "identify of an object left on the remote says its kind without downloading it (lineage of an artifact by id reads no bytes)",
  () =>
    withDirs(async (dir) => {
      keysInEnv();
      const a = `${dir}/a`;
      const b = `${dir}/b`;
      const url = `s3://${BUCKET}/identify/${crypto.randomUUID()}`;
      await addRemote(a, url);
      await addRemote(b, url);
      const ran = await runDemo(a, { rate: 1.7, n: 1, remote: "origin", log: () => {} });
      const log: string[] = [];
      await runDemo(b, { rate: 1.7, n: 1, remote: "origin", log: (l) => log.push(l) });
      assert.equal(
        closing(log).objects,
        0,
        "an all-hit run that decodes nothing downloads nothing",
      );
      const kind = await Effect.runPromise(
        Pipeline.use((p) => p.store.identify(ran.final)).pipe(
          Effect.provide(
            Pipeline.layerDisk({ root: b, remote: "origin", progress: quietProgress(() => {}) }),
          ),
        ),
      );
      assert.equal(kind, "blob");
      assert.equal(await inStore(b, (s) => s.has(ran.final)), false, "not downloaded");
    }),
);

const totalBytes = (root: string) =>
  inStore(root, (s) =>
    Effect.gen(function* () {
      let n = 0;
      for (const id of yield* s.listObjects()) {
        if ((yield* s.identify(id)) === "blob") n += (yield* s.readBlob(id)).length;
      }
      return n;
    }));

// A pipeline whose second step stops the S3 gateway while the run goes on.
const faultProgram = (tag: string) => {
  // A large output, so its upload (multipart) is under way when the gateway stops.
  const one = step({
    name: "one",
    config: { tag },
    outputs: { x: Json, big: Text },
    run: (_, config) => ({
      x: 1,
      big: config.tag.repeat(Math.ceil((48 << 20) / config.tag.length)),
    }),
  });
  const two = step({
    name: "two",
    inputs: { x: Json },
    outputs: { x: Json },
    run: async ({ x }) => {
      await stopGateway();
      return { x: x + 1 };
    },
  });
  const three = step({
    name: "three",
    inputs: { x: Json },
    outputs: { x: Json },
    run: ({ x }) => ({ x: x * 10 }),
  });
  return scenario(
    "fault",
    {},
    Effect.gen(function* () {
      const a = yield* one({});
      const b = yield* two({ x: a.x });
      return yield* three({ x: b.x });
    }),
  );
};

remoteTest(
  "the server stopped mid-run: the run succeeds locally with a warning, the remote names only what it holds, and a later push completes",
  () =>
    withDirs(async (dir) => {
      keysInEnv();
      Deno.env.set("AWS_MAX_ATTEMPTS", "2");
      const a = `${dir}/a`;
      const prefix = `fault/${crypto.randomUUID()}`;
      await addRemote(a, `s3://${BUCKET}/${prefix}`);
      const log: string[] = [];
      let stopped = false;
      try {
        const out = await Effect.runPromise(
          faultProgram(prefix).pipe(
            Effect.andThen(Pipeline.use((p) => p.store.readRef("scenarios/fault"))),
            Effect.provide(
              Pipeline.layerDisk({
                root: a,
                remote: "origin",
                progress: {
                  stepStarted: () => {},
                  stepFinished: () => {},
                  iterationFinished: () => {},
                  scenarioFinished: () => {},
                  log: (l) => log.push(l),
                },
              }),
            ),
          ),
        );
        stopped = true;
        assert.ok(out, "the scenario was recorded locally");
      } finally {
        Deno.env.delete("AWS_MAX_ATTEMPTS");
        await startGateway();
      }
      assert.ok(stopped);
      const text = log.join("\n");
      assert.match(
        text,
        /remote "origin": .* failed \(.*\); the run goes on with the local store only/,
      );
      assert.match(
        text,
        /not uploaded; the results are in the local store, and "cairn push" sends them/,
      );
      assert.equal((await json(["fsck", "--store", a])).ok, true, "the local store is intact");
      const after = await inRemote(BUCKET, prefix, dangling);
      assert.deepEqual(after.problems, [], "nothing on the remote names what it lacks");

      const pushed = await json(["push", "--store", a]);
      assert.equal(pushed.refs[0].result, "created");
      const done = await inRemote(BUCKET, prefix, (s) =>
        Effect.gen(function* () {
          return { check: yield* dangling(s), cache: yield* s.index("cache").snapshot() };
        }));
      assert.deepEqual(done.check.problems, []);
      assert.equal(done.cache.size, 3, "every run's cache entry is there after the push");
      assert.equal(done.check.objects, (await closure(a, "fault")).size);
    }),
);

// Steps of a long run during which the S3 gateway goes away and comes back.
const outageProgram = (tag: string) => {
  const first = step({
    name: "first",
    config: { tag },
    outputs: { x: Json },
    run: () => ({ x: 1 }),
  });
  const down = step({
    name: "down",
    inputs: { x: Json },
    outputs: { x: Json },
    run: async ({ x }) => {
      await stopGateway();
      return { x: x + 1 };
    },
  });
  const during = step({
    name: "during",
    inputs: { x: Json },
    outputs: { x: Json },
    run: ({ x }) => ({ x: x * 10 }),
  });
  const back = step({
    name: "back",
    inputs: { x: Json },
    outputs: { x: Json },
    run: async ({ x }) => {
      await startGateway();
      await new Promise((r) => setTimeout(r, 1500)); // past the retry interval
      return { x: x + 3 };
    },
  });
  const after = step({
    name: "after",
    inputs: { x: Json },
    outputs: { x: Json },
    run: ({ x }) => ({ x: x * 2 }),
  });
  return Effect.gen(function* () {
    const a = yield* first({});
    const b = yield* down({ x: a.x });
    const c = yield* during({ x: b.x });
    const d = yield* back({ x: c.x });
    return yield* after({ x: d.x });
  });
};

remoteTest(
  "a remote that went away and came back is used again after the retry interval: a long run's later results go up",
  () =>
    withDirs(async (dir) => {
      keysInEnv();
      Deno.env.set("AWS_MAX_ATTEMPTS", "1");
      const a = `${dir}/a`;
      const prefix = `outage/${crypto.randomUUID()}`;
      await addRemote(a, `s3://${BUCKET}/${prefix}`);
      const log: string[] = [];
      const progress = {
        stepStarted: () => {},
        stepFinished: () => {},
        iterationFinished: () => {},
        scenarioFinished: () => {},
        log: (l: string) => void log.push(l),
      };
      let keys: string[] = [];
      try {
        keys = await Effect.runPromise(
          outageProgram(prefix).pipe(
            Effect.andThen(
              Pipeline.use((p) =>
                Effect.map(p.store.index("cache").snapshot(), (m) => [...m.keys()])
              ),
            ),
            Effect.provide(
              Pipeline.layer({ progress }).pipe(
                Layer.provide(
                  RemoteCache.layer({ name: "origin", retryAfterMs: 1000, log: progress.log }).pipe(
                    Layer.provide(ObjectStore.layer({ root: a })),
                  ),
                ),
              ),
            ),
          ),
        );
      } finally {
        Deno.env.delete("AWS_MAX_ATTEMPTS");
        await startGateway().catch(() => {}); // already up unless the run failed early
      }
      assert.equal(keys.length, 5);
      const text = log.join("\n");
      assert.match(
        text,
        /remote "origin": .* failed \(.*\); the run goes on with the local store only/,
      );
      assert.match(text, /not uploaded; the results are in the local store/);
      // Which steps' runs went up: "during" ran while the remote was down; "back" and
      // "after" once it was back and the retry interval had passed.
      const onRemote = await inRemote(BUCKET, prefix, (s) => s.index("cache").snapshot());
      const steps = await inStore(a, (s) =>
        Effect.forEach([...onRemote.keys()], (key) =>
          Effect.gen(function* () {
            const value = yield* s.index("cache").get(key);
            return decodeRunRecord(yield* s.readRecord(value!.slice(0, 64)))!.step;
          })));
      assert.ok(!steps.includes("during"), JSON.stringify(steps));
      assert.ok(steps.includes("back") && steps.includes("after"), JSON.stringify(steps));
      assert.deepEqual((await inRemote(BUCKET, prefix, dangling)).problems, []);
    }),
);

remoteTest(
  "after a pull without --all, materialize downloads the bytes from the remote, verified",
  () =>
    withDirs(async (dir) => {
      const a = `${dir}/a`;
      const b = `${dir}/b`;
      const url = `s3://${BUCKET}/lazy/${crypto.randomUUID()}`;
      const ran = await runDemo(a, { rate: 1.1, n: 2 });
      await addRemote(a, url);
      await addRemote(b, url);
      await ok(["push", "--store", a]);
      await ok(["pull", "demo", "--store", b]);
      assert.equal(await inStore(b, (s) => s.has(ran.final)), false, "no bytes pulled");
      const dest = `${dir}/final.json`;
      const wrote = await json(["materialize", ran.final, dest, "--store", b]);
      assert.equal(wrote.id, ran.final);
      assert.deepEqual(
        Deno.readFileSync(dest),
        await inStore(a, (s) => s.readBlob(ran.final)),
      );
      assert.equal(await inStore(b, (s) => s.has(ran.final)), true, "kept locally, verified");

      // Without the remote the store says what is missing, as before.
      await ok(["remote", "remove", "origin", "--store", b]);
      const zones = `${dir}/zones.csv`;
      const missing = await cairnWith(["materialize", ran.zones, zones, "--store", b]);
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, new RegExp(`Cannot find "${ran.zones}"`));
    }),
);

const COMMAND_PIPELINE = `import { Effect } from "effect";
import { command, Json, run, scenario, step, Text } from "cairn";

const seed = step({ name: "seed", outputs: { n: Json }, run: () => ({ n: 2 }) });

const model = command({
  name: "model",
  inputs: { n: Json },
  outputs: { result: Text },
  sources: ["model.sh"],
  tools: ["sh"],
  argv: ({ inputs, outputs }) => ["sh", "model.sh", inputs.n, outputs.result],
});

const program = scenario("logs", {}, Effect.gen(function* () {
  const { n } = yield* seed({});
  yield* model({ n });
}));

if (import.meta.main) await run(program);
`;

const MODEL = `echo "out one"
echo "err one" >&2
cat "$1" > "$2"
`;

remoteTest(
  "CAIRN_REMOTE makes run() write through; after a pull without --all, logs download a command's streams",
  () =>
    withDirs(async (dir) => {
      const url = `s3://${BUCKET}/logs/${crypto.randomUUID()}`;
      await withProject({ "pipeline.ts": COMMAND_PIPELINE, "model.sh": MODEL }, async (p) => {
        await addRemote(p.store, url);
        const { credentials } = s3Server();
        const ran = await p.run({
          env: {
            PATH,
            CAIRN_REMOTE: "origin",
            AWS_ACCESS_KEY_ID: credentials.accessKeyId,
            AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
          },
          scenario: "logs",
        });
        const up = closing(ran.stderr.split("\n"));
        assert.equal(up.runs, 2, "seed and model went up");
        const logs = p.runRecord(ran, "model").logs as { stdout: string; stderr: string };
        const remote = await inRemote(BUCKET, url.split("/").slice(3).join("/"), dangling);
        assert.deepEqual(remote.problems, []);

        await ok(["push", "--store", p.store]);
        const b = `${dir}/b`;
        await addRemote(b, url);
        await ok(["pull", "logs", "--store", b]);
        assert.equal(await inStore(b, (s) => s.has(logs.stdout)), false, "no bytes pulled");
        const text = await ok(["logs", "logs", "model", "--stdout", "--store", b]);
        assert.equal(text, "out one\n");
        assert.equal(await ok(["logs", "logs", "model", "--stderr", "--store", b]), "err one\n");
        assert.equal(await inStore(b, (s) => s.has(logs.stdout)), true);
      });
    }),
);

const quietProgress = (log: (line: string) => void) => ({
  stepStarted: () => {},
  stepFinished: () => {},
  iterationFinished: () => {},
  scenarioFinished: () => {},
  log,
});

remoteTest(
  "with workers, the pipeline process downloads a miss's inputs from the remote before a worker runs it",
  () =>
    withDirs(async (dir) => {
      keysInEnv();
      const a = `${dir}/a`;
      const b = `${dir}/b`;
      const url = `s3://${BUCKET}/workers/${crypto.randomUUID()}`;
      await addRemote(a, url);
      await addRemote(b, url);
      const first = await Effect.runPromise(
        where({}).pipe(
          Effect.provide(
            Pipeline.layerDisk({ root: a, remote: "origin", progress: quietProgress(() => {}) }),
          ),
        ),
      );
      const log: string[] = [];
      const out = await Effect.runPromise(
        Effect.gen(function* () {
          const w = yield* where({});
          const d = yield* double({ x: w.pid });
          return {
            w: w.pid.id,
            d: yield* read(d.y),
            pid: yield* read(d.pid),
            x: yield* read(w.pid),
          };
        }).pipe(
          Effect.provide(
            Pipeline.layerDisk({
              root: b,
              remote: "origin",
              executor: workers({ size: 1 }),
              progress: quietProgress((l) => log.push(l)),
            }),
          ),
        ),
      );
      assert.equal(out.w, first.pid.id, "where was a hit on A's run");
      assert.notEqual(out.pid, Deno.pid, "double ran in a worker");
      assert.equal(out.d, out.x * 2);
      const c = closing(log);
      assert.equal(c.hits, 1);
      assert.equal(c.runs, 1, "double went up");
      // where's output (double's input, then read here) and nothing else came down.
      assert.equal(c.objects, 1);
    }),
);

remoteTest(
  "a run interrupted while its uploads are under way stops them: counted as not uploaded, the remote naming only what it holds",
  () =>
    withDirs(async (dir) => {
      keysInEnv();
      const a = `${dir}/a`;
      const prefix = `interrupt/${crypto.randomUUID()}`;
      await addRemote(a, `s3://${BUCKET}/${prefix}`);
      const big = step({
        name: "big",
        config: { tag: prefix },
        outputs: { big: Text },
        run: (_, config) => ({
          big: config.tag.repeat(Math.ceil((48 << 20) / config.tag.length)),
        }),
      });
      const log: string[] = [];
      const controller = new AbortController();
      const exit = await Effect.runPromiseExit(
        big({}).pipe(
          Effect.andThen(Effect.never),
          Effect.provide(
            Pipeline.layerDisk({
              root: a,
              remote: "origin",
              progress: {
                ...quietProgress((l) => log.push(l)),
                // The write-through of the step's run is under way once it is reported.
                stepFinished: () => controller.abort(),
              },
            }),
          ),
        ),
        { signal: controller.signal },
      );
      assert.equal(exit._tag, "Failure");
      assert.match(log.join("\n"), /1 run was not uploaded/);
      const remote = await inRemote(BUCKET, prefix, (s) =>
        Effect.gen(function* () {
          return { check: yield* dangling(s), cache: yield* s.index("cache").snapshot() };
        }));
      assert.deepEqual(remote.check.problems, []);
      assert.equal(remote.cache.size, 0, "no cache entry for an upload cut short");
    }),
);
