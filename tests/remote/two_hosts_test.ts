// Two hosts sharing one remote cache (`tests/_hosts.ts`: network namespaces, each with
// its own hostname; radosgw in the root namespace on the hosts' service address).
// Host A runs the travel-demand demo, writing through; host B, with an empty store and
// the same remote, runs it again: every step a hit, only the bytes B's own decoding
// needs downloaded, and lineage on B shows A's runs, made on A. Then both hosts run a
// new scenario at once: no cache entry and no scenario record lost, the remote's
// reflog chaining both.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import * as Context from "effect/Context";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import { ObjectStore, type ObjectStoreApi } from "../../store/object_store.ts";
import { layerS3 } from "../../store/s3/layer_s3.ts";
import { encodeTree } from "../../store/tree.ts";
import { writeRemotes } from "../../store/remotes.ts";
import { decodeCacheValue } from "../../lib/model/cache_entry.ts";
import { type Host, hostsProblem, hostsTest, withHosts } from "../_hosts.ts";
import { cephProblem, startCeph } from "./_ceph.ts";
import { dangling } from "./_dangling.ts";
import { closingLine } from "./_closing_line.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BUCKET = "cairn-hosts";

// In a store: the Effect run with the store at `root` (created when missing).
const inStore = <A>(root: string, f: (s: ObjectStoreApi) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(
    Effect.gen(function* () {
      return yield* f(yield* ObjectStore);
    }).pipe(Effect.provide(ObjectStore.layer({ root }))) as Effect.Effect<A>,
  );

const closing = closingLine;

// The blobs and trees an object reaches (itself included), with their payload sizes.
const reach = (store: ObjectStoreApi, roots: readonly string[]) =>
  Effect.gen(function* () {
    const sizes = new Map<string, number>();
    const stack = [...roots];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (sizes.has(id)) continue;
      const kind = yield* store.identify(id);
      if (kind === "tree") {
        const entries = yield* store.readTree(id);
        sizes.set(id, encodeTree(entries).length);
        stack.push(...entries.map((e) => e.id));
      } else if (kind === "blob") sizes.set(id, (yield* store.readBlob(id)).length);
    }
    return sizes;
  });

// The script both hosts run at once: the model as scenario `name` for 17 iterations.
const SCRIPT = `import { run } from ${JSON.stringify(`${ROOT}mod.ts`)};
import { travelDemandScenario } from ${JSON.stringify(`${ROOT}examples/travel_demand/pipeline.ts`)};
await run(travelDemandScenario(Deno.args[0], 17), { root: Deno.env.get("CAIRN_STORE") });
`;

hostsTest(
  "two hosts, one remote: B replays A's demo as all hits, downloading only what it decodes, with A's lineage; both running a new scenario at once lose no cache entry and no record",
  () =>
    withHosts(["host-a", "host-b"], async ({ hosts, serviceAddress }) => {
      const [a, b] = hosts as [Host, Host];
      const ceph = await startCeph({ bind: serviceAddress });
      const dir = Deno.makeTempDirSync({ prefix: "cairn-hosts-" });
      try {
        const prefix = `hosts/${crypto.randomUUID()}`;
        const env = (store: string) => ({
          PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
          HOME: Deno.env.get("HOME") ?? "/root",
          ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
          NO_COLOR: "1",
          CAIRN_PROGRESS: "0",
          CAIRN_STORE: store,
          CAIRN_REMOTE: "origin",
          AWS_ACCESS_KEY_ID: ceph.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: ceph.credentials.secretAccessKey,
        });
        const setUp = async (host: Host, name: string) => {
          const cwd = `${dir}/${name}`;
          const store = `${cwd}/store`;
          await inStore(store, (s) => s.listRefs());
          writeRemotes(store, {
            origin: { url: `s3://${BUCKET}/${prefix}`, endpoint: ceph.endpoint },
          });
          const deno = (args: readonly string[]) =>
            host.run([Deno.execPath(), ...args], { cwd, env: env(store) });
          const demo = async () => {
            const out = await deno([
              "run",
              "-A",
              "--config",
              `${ROOT}deno.json`,
              `${ROOT}examples/travel_demand/main.ts`,
            ]);
            assert.equal(out.code, 0, out.stderr);
            return out;
          };
          const cairn = async (args: readonly string[]) => {
            const out = await deno(["run", "-A", "--no-config", `${ROOT}cli/launch.ts`, ...args]);
            assert.equal(out.code, 0, `cairn ${args.join(" ")}: ${out.stderr}`);
            return out.stdout;
          };
          return { cwd, store, demo, cairn, deno };
        };
        const onA = await setUp(a, "a");
        const onB = await setUp(b, "b");
        const remote = <A>(f: (s: ObjectStoreApi) => Effect.Effect<A, unknown>) =>
          Effect.runPromise(Effect.scoped(Effect.gen(function* () {
            const s = Context.get(
              yield* Layer.build(layerS3({
                bucket: BUCKET,
                prefix,
                endpoint: ceph.endpoint,
                credentials: ceph.credentials,
                create: false,
              })),
              ObjectStore,
            );
            return yield* f(s);
          })) as Effect.Effect<A>);

        // Host A: the demo from nothing, written through.
        const t0 = performance.now();
        const ranA = await onA.demo();
        const msA = performance.now() - t0;
        assert.match(ranA.stdout, /62 of 62 step invocations ran, 0 were cache hits/);
        const upA = closing(ranA.stderr);
        assert.equal(upA.runs, 93, "every run of baseline and extended went up");
        assert.equal(upA.scenarios, 2);
        const runsA = await inStore(onA.store, (s) =>
          Effect.gen(function* () {
            const ids = new Set<string>();
            for (const name of ["baseline", "extended"]) {
              const record = yield* s.readRecord((yield* s.readRef(`scenarios/${name}`))!);
              for (const i of record.invocations as { run: string }[]) ids.add(i.run);
            }
            return ids;
          }));
        assert.equal(runsA.size, 93);

        // Host B: an empty store, the same program.
        const t1 = performance.now();
        const ranB = await onB.demo();
        const msB = performance.now() - t1;
        assert.match(ranB.stdout, /all 62 step invocations were cache hits — nothing ran/);
        assert.match(ranB.stdout, /all 92 step invocations were cache hits — nothing ran/);
        const downB = closing(ranB.stderr);
        assert.equal(downB.lookups, 93);
        assert.equal(downB.hits, 93, "100% hits");
        assert.equal(downB.runs, 0, "nothing computed, nothing uploaded");
        assert.equal(downB.scenarios, 2, "B's two records went up");

        // What B decoded: the baseline's plots (materialized) and its mode-share and
        // miles tables (read), the extended run's skims (materialized). Those objects,
        // with what their trees hold, are all that came down, and B holds no other bytes.
        const decoded = await inStore(onA.store, (s) =>
          Effect.gen(function* () {
            const outputs = (name: string) =>
              Effect.gen(function* () {
                const record = yield* s.readRecord((yield* s.readRef(`scenarios/${name}`))!);
                const last = (step: string) =>
                  (record.invocations as { step: string; run: string }[]).filter((i) =>
                    i.step === step
                  ).at(-1)!.run;
                return { record, last };
              });
            const output = (run: string, name: string) =>
              Effect.map(
                s.readRecord(run),
                (r) => (r.outputs as Record<string, { id: string }>)[name]!.id,
              );
            const base = yield* outputs("baseline");
            const ext = yield* outputs("extended");
            const summaries = base.last("summaries");
            return yield* reach(s, [
              yield* output(summaries, "plots"),
              yield* output(summaries, "mode_shares"),
              yield* output(summaries, "miles"),
              yield* output(ext.last("traffic_simulation"), "skims"),
            ]);
          }));
        const heldByB = await inStore(onB.store, (s) =>
          Effect.gen(function* () {
            const ids = new Set<string>();
            for (const id of yield* s.listObjects()) {
              if ((yield* s.identify(id)) !== "record") ids.add(id);
            }
            return ids;
          }));
        // Where an object comes from on A (for a failure's message): the outputs naming it.
        const madeBy = (ids: readonly string[]) =>
          inStore(onA.store, (s) =>
            Effect.gen(function* () {
              const out: string[] = [];
              for (const run of runsA) {
                const r = yield* s.readRecord(run);
                for (
                  const [name, o] of Object.entries(r.outputs as Record<string, { id: string }>)
                ) {
                  if (ids.includes(o.id)) {
                    out.push(`${o.id.slice(0, 12)}: ${r.step}@${r.iteration} ${name}`);
                  }
                }
              }
              return out;
            }));
        const extra = [...heldByB].filter((id) => !decoded.has(id));
        assert.deepEqual(
          extra,
          [],
          `B holds no more than it decoded: ${(await madeBy(extra)).join("; ")}`,
        );
        assert.deepEqual(heldByB, new Set(decoded.keys()), "B holds exactly what it decoded");
        assert.equal(downB.objects, decoded.size);
        const decodedBytes = [...decoded.values()].reduce((x, y) => x + y, 0);
        assert.equal(downB.bytes, decodedBytes, "B downloaded those bytes and no others");
        const blobsA = await inStore(onA.store, (s) =>
          Effect.gen(function* () {
            const ids: string[] = [];
            for (const id of yield* s.listObjects()) {
              if ((yield* s.identify(id)) !== "record") ids.push(id);
            }
            return yield* reach(s, ids);
          }));
        const totalA = [...blobsA.values()].reduce((x, y) => x + y, 0);

        // Lineage on B is A's: the same tree of the same runs, recorded on host A.
        const lineageB = JSON.parse(await onB.cairn(["lineage", "skims", "--json"]));
        const lineageA = JSON.parse(await onA.cairn(["lineage", "skims", "--json"]));
        assert.deepEqual(lineageB, lineageA);
        const runsInLineage = Object.keys(lineageB.runs);
        assert.ok(runsInLineage.length > 10, JSON.stringify(lineageB).slice(0, 300));
        assert.ok(runsInLineage.every((r) => runsA.has(r)), "every run in it is A's");
        const text = await onB.cairn(["lineage", "skims", "--depth", "2"]);
        assert.match(text, /traffic_simulation@14 {2}run [0-9a-f]{12} {2}extended/);
        const shown = await onB.cairn(["show", runsInLineage[0]!]);
        assert.match(shown, new RegExp(`host +${a.hostname}\\n`), shown);

        // Both hosts at once: a new scenario (iterations 0–14 hit, 15–16 and the summaries
        // run on each).
        Deno.writeTextFileSync(`${dir}/together.ts`, SCRIPT);
        const together = (on: typeof onA) =>
          on.deno(["run", "-A", "--config", `${ROOT}deno.json`, `${dir}/together.ts`, "together"]);
        const [outA, outB] = await Promise.all([together(onA), together(onB)]);
        assert.equal(outA.code, 0, outA.stderr);
        assert.equal(outB.code, 0, outB.stderr);
        const heads = await Promise.all([onA, onB].map((on) =>
          inStore(on.store, (s) =>
            Effect.gen(function* () {
              const id = (yield* s.readRef("scenarios/together"))!;
              const record = yield* s.readRecord(id);
              return { id, host: record.host, runs: record.invocations as { run: string }[] };
            }))
        ));
        assert.deepEqual(
          heads.map((h) =>
            h.host
          ),
          [a.hostname, b.hostname],
        );
        const after = await remote((s) =>
          Effect.gen(function* () {
            return {
              check: yield* dangling(s),
              cache: yield* s.index("cache").snapshot(),
              missing: yield* s.missing(heads.map((h) => h.id)),
              reflog: yield* s.reflog("scenarios/together"),
              head: yield* s.readRef("scenarios/together"),
              runs: yield* Effect.forEach(
                heads.flatMap((h) => h.runs.map((i) => i.run)),
                (run) => Effect.map(s.readRecord(run), (r) => r.key as string),
              ),
            };
          })
        );
        assert.deepEqual(after.check.problems, [], "the remote names only what it holds");
        assert.deepEqual(after.missing, [], "both scenario records are on the remote");
        for (const key of after.runs) {
          const entry = after.cache.get(key)?.map(decodeCacheValue).find((v) => v);
          assert.ok(entry, `the cache entry of ${key} is on the remote`);
        }
        const moves = after.reflog.map((e) => [e.old, e.new, e.message]);
        assert.equal(moves.length, 2, JSON.stringify(moves));
        assert.equal(moves[0]![0], null);
        assert.equal(moves[1]![0], moves[0]![1], "the second move starts where the first ended");
        assert.deepEqual(new Set(moves.map((m) => m[1])), new Set(heads.map((h) => h.id)));
        assert.deepEqual(
          new Set(moves.map((m) => m[2])),
          new Set(hosts.map((h) => `scenario together: ok on ${h.hostname}`)),
        );
        assert.equal(after.head, moves[1]![1]);

        const load = Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
        console.log(
          `two hosts: A ran the demo in ${msA.toFixed(0)} ms (uploading ${upA.runs} runs); ` +
            `B replayed it in ${msB.toFixed(0)} ms, downloading ${downB.objects} objects ` +
            `(${downB.bytes} B of A's ${totalA} B of blobs and trees) and ${downB.records} records; load ${load}`,
        );
      } finally {
        Deno.removeSync(dir, { recursive: true });
        await ceph.stop();
      }
    }),
  hostsProblem ?? cephProblem,
);
