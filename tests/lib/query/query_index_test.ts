// The query index answers every query exactly as the view loaded from the logs does,
// on random stores, as they grow (catch-up), after gc rewrote the log and dropped
// scenario records, after the file was deleted or damaged, and with a rebuild.
import assert from "node:assert/strict";
import { Effect } from "effect";
import { ObjectStore } from "../../../mod.ts";
import {
  collectGarbage,
  diffScenarios,
  impactOf,
  lineage,
  lineageOf,
  type LineageView,
  listArtifacts,
  listRuns,
  listScenarios,
  loadLineageView,
  openQueryIndex,
  runSql,
  showTarget,
  why,
} from "../../../lib/query/mod.ts";
import { type Generated, grow, random } from "./_random_store.ts";

const SEED = Number(Deno.env.get("CAIRN_TEST_SEED") ?? Date.now() % 100_000);

const settle = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(
    Effect.map((value) => ({ value })),
    Effect.catch((e: unknown) => Effect.succeed({ error: (e as Error).message ?? String(e) })),
  );

// Every answer the queries give over `view` for what `made` holds, as JSON.
const answers = (view: LineageView, made: Generated, rng: ReturnType<typeof random>) =>
  Effect.gen(function* () {
    const out: Record<string, unknown> = {};
    for (const id of made.artifacts) {
      for (const depth of [null, 0, 1, 3]) {
        out[`lineageOf ${id} ${depth}`] = lineageOf(view, [id], depth);
      }
      out[`impact ${id}`] = impactOf(view, id);
      out[`show ${id}`] = yield* settle(showTarget(view, id));
    }
    for (const target of [...made.scenarios, "y", "out", "summary", "base:y", "nothing"]) {
      out[`lineage ${target}`] = yield* settle(lineage(target, view, { depth: 2 }));
      out[`lineage ${target} all`] = yield* settle(lineage(target, view));
    }
    for (const run of made.runs) {
      out[`lineage run ${run.id}`] = yield* settle(lineage(run.id, view, { depth: 1 }));
      out[`why ${run.id}`] = yield* settle(why(view, run.id));
      out[`artifacts ${run.id}`] = yield* settle(
        Effect.try(() => listArtifacts(view, { run: run.id.slice(0, 6) })),
      );
    }
    for (const name of made.scenarios) {
      for (const r of made.runs.slice(0, 8)) {
        const at = r.iteration === null ? r.step : `${r.step}@${r.iteration}`;
        out[`why ${name} ${at}`] = yield* settle(why(view, name, at));
      }
      for (const other of made.scenarios) {
        out[`diff ${name} ${other}`] = yield* settle(diffScenarios(view, name, `${other}~1`));
      }
    }
    const filters = [
      {},
      { limit: 1 },
      { limit: 0 },
      { limit: 5 },
      { step: "grow" },
      { iteration: 1 },
      { status: "failed" as const },
      { hit: true },
      { hit: false, limit: 3 },
      { scenario: "base" },
      { scenario: "missing" },
      { tag: "baseline" },
      { facet: "n=1" },
      { facet: "label=a", step: "mix" },
      { step: "load", iteration: rng.int(4), limit: 2 },
    ];
    for (const f of filters) out[`runs ${JSON.stringify(f)}`] = yield* settle(listRuns(view, f));
    out["artifacts"] = listArtifacts(view);
    out["artifacts y"] = listArtifacts(view, { name: "y" });
    out["scenarios"] = yield* listScenarios(view);
    out["scenarios 1"] = yield* listScenarios(view, 1);
    return JSON.parse(JSON.stringify(out)) as Record<string, unknown>;
  });

const compare = (made: Generated, seed: number, what: string) =>
  Effect.gen(function* () {
    const fromLogs = yield* answers(yield* loadLineageView, made, random(seed));
    // Lookups one by one (as a small walk makes them), and tables read whole after a
    // few (as a walk over a large store does): the same answers both ways.
    for (const lookupBudget of [undefined, 0, 3]) {
      const fromIndex = yield* Effect.scoped(
        Effect.flatMap(
          openQueryIndex(lookupBudget === undefined ? {} : { lookupBudget }),
          (index) => answers(index.view, made, random(seed)),
        ),
      );
      for (const key of Object.keys(fromLogs)) {
        assert.deepEqual(
          fromIndex[key],
          fromLogs[key],
          `${what}: ${key} (seed ${seed}, lookup budget ${lookupBudget ?? "default"})`,
        );
      }
    }
    return Object.keys(fromLogs).length;
  });

const indexPath = (root: string) => `${root}/index/query.sqlite`;

Deno.test(`the query index answers as the log view does on random stores, as they grow and after gc (seed ${SEED})`, () =>
  Effect.runPromise(
    Effect.gen(function* () {
      const store = yield* ObjectStore;
      let checked = 0;
      for (let round = 0; round < 3; round++) {
        const rng = random(SEED + round);
        let made = yield* grow(store, rng, 20 + rng.int(20));
        checked += yield* compare(made, SEED + round, `round ${round}, first`);
        // Catch-up: the index absorbs only the new tail and new scenario records.
        made = yield* grow(store, rng, 1 + rng.int(15), made);
        checked += yield* compare(made, SEED + round, `round ${round}, grown`);
      }
      // gc rewrites the lineage log (pruning the entries of removed runs) and drops
      // old scenario records: the index starts its log over and drops those records.
      yield* collectGarbage({ keepLast: 1, graceMs: 0 });
      const made = { artifacts: [], runs: [], scenarios: ["base", "policy", "sweep"] };
      checked += yield* compare(made, SEED, "after gc --keep-last 1");
      assert.ok(checked > 1000, `${checked} answers compared`);
    }).pipe(Effect.provide(ObjectStore.layerTemp)),
  ));

// Rows of each edge table's two parts, as the index holds them.
const edgeCounts = (recentRows?: number) =>
  Effect.scoped(
    Effect.map(
      openQueryIndex(recentRows === undefined ? {} : { recentRows }),
      ({ db }) =>
        Object.fromEntries(
          ["produced", "consumed", "step_runs"].flatMap((t) =>
            [t, `${t}_recent`].map((
              part,
            ) => [part, (db.prepare(`SELECT count(*) AS n FROM ${part}`).get() as { n: number }).n])
          ),
        ) as Record<string, number>,
    ),
  );

Deno.test(`a catch-up writes the edge tables' recent part and moves it into the older part past its limit, answering as the log view either way (seed ${SEED})`, async () => {
  for (const recentRows of [1_000_000, 0]) {
    await Effect.runPromise(
      Effect.gen(function* () {
        const store = yield* ObjectStore;
        const rng = random(SEED + 11);
        let made = yield* grow(store, rng, 25);
        // The first query builds the index: the older parts, nothing recent.
        const built = yield* edgeCounts(recentRows);
        assert.ok(built.produced! > 0 && built.consumed! > 0 && built.step_runs! > 0);
        assert.deepEqual(
          [built.produced_recent, built.consumed_recent, built.step_runs_recent],
          [0, 0, 0],
        );
        for (let round = 1; round <= 3; round++) {
          made = yield* grow(store, rng, 5 + rng.int(10), made);
          // Entries the index absorbed already, appended again (as a reindex after lost
          // entries leaves them): the first occurrence stays, in the older part.
          const lineage = store.index("lineage");
          const earlier = (yield* lineage.tail(0)).entries.filter(([key]) =>
            !key.startsWith("run:")
          );
          yield* lineage.appendMany(earlier.filter(() => rng.next() < 0.2));
          const counts = yield* edgeCounts(recentRows);
          const view = yield* loadLineageView;
          const pairs = (m: ReadonlyMap<string, readonly unknown[]>) =>
            [...m.values()].reduce((n, runs) => n + runs.length, 0);
          const expected = {
            produced: pairs(view.producedBy),
            consumed: pairs(view.consumedBy),
            step_runs: pairs(view.stepRuns),
          };
          for (const [table, rows] of Object.entries(expected)) {
            const older = counts[table]!;
            const recent = counts[`${table}_recent`]!;
            assert.equal(older + recent, rows, `${table}: each pair once (round ${round})`);
            if (recentRows === 0) assert.equal(recent, 0, `${table}: moved (round ${round})`);
            else {
              assert.equal(older, built[table], `${table}: older part untouched (round ${round})`);
              assert.ok(recent > 0, `${table}: new rows are recent (round ${round})`);
            }
          }
          yield* compare(made, SEED + 11, `recent rows ≤ ${recentRows}, round ${round}`);
        }
      }).pipe(Effect.provide(ObjectStore.layerTemp)),
    );
  }
});

Deno.test("a deleted or damaged query index is rebuilt, and reindex rebuilds it whole", () =>
  Effect.runPromise(
    Effect.gen(function* () {
      const store = yield* ObjectStore;
      const rng = random(SEED);
      const made = yield* grow(store, rng, 30);
      yield* compare(made, SEED, "first");
      Deno.removeSync(indexPath(store.root));
      yield* compare(made, SEED, "deleted");
      Deno.writeFileSync(
        indexPath(store.root),
        new TextEncoder().encode("not a database ".repeat(500)),
      );
      yield* compare(made, SEED, "garbage in its place");
      // A truncated file (a copy cut short): SQLite finds it malformed; it is made again.
      const bytes = Deno.readFileSync(indexPath(store.root));
      Deno.writeFileSync(
        indexPath(store.root),
        bytes.subarray(0, Math.max(4096, bytes.length >> 1)),
      );
      yield* compare(made, SEED, "truncated");
      const rebuilt = yield* Effect.scoped(
        Effect.flatMap(
          openQueryIndex({ rebuild: true }),
          (index) => runSql(index, "SELECT count(*) AS n FROM runs"),
        ),
      );
      // Every run the log view holds (a run hidden by a damaged entry is not one).
      assert.deepEqual(rebuilt.rows, [[(yield* loadLineageView).runs.size]]);
    }).pipe(Effect.provide(ObjectStore.layerTemp)),
  ));

// Rows by their first column, a run id.
const byId = (a: unknown[], b: unknown[]) => (String(a[0]) < String(b[0]) ? -1 : 1);

Deno.test("runSql answers over the documented views and refuses anything but a query", () =>
  Effect.runPromise(
    Effect.gen(function* () {
      const store = yield* ObjectStore;
      const made = yield* grow(store, random(SEED), 25);
      const view = yield* loadLineageView;
      yield* Effect.scoped(Effect.gen(function* () {
        const index = yield* openQueryIndex();
        const runs = yield* runSql(index, "SELECT id, step FROM runs ORDER BY id");
        assert.deepEqual(runs.columns, ["id", "step"]);
        assert.deepEqual(
          runs.rows,
          [...view.runs.entries()].map(([id, s]) => [id, s.step]).sort(byId),
        );
        // Each run's key and host as its summary has them (null in an older summary).
        const keys = yield* runSql(index, "SELECT id, key, host FROM runs ORDER BY id");
        assert.deepEqual(
          keys.rows,
          [...view.runs.entries()].map(([id, s]) => [id, s.key ?? null, s.host ?? null]).sort(byId),
        );
        assert.ok(keys.rows.some((r) => r[1] === null), "an older summary among them");
        assert.ok(keys.rows.some((r) => typeof r[1] === "string" && r[2] === "h"));
        const edges = yield* runSql(index, "SELECT count(*) FROM edges WHERE direction = 'out'");
        const outputs = [...view.runs.values()].reduce(
          (n, s) => n + Object.keys(s.outputs).length,
          0,
        );
        assert.deepEqual(edges.rows, [[outputs]]);
        for (const v of ["artifacts", "scenarios", "invocations", "facets"]) {
          const r = yield* runSql(index, `SELECT * FROM ${v} LIMIT 1`);
          assert.ok(r.columns.length > 1, v);
        }
        for (
          const bad of ["DELETE FROM run_summaries", "DROP VIEW runs", "PRAGMA writable_schema = 1"]
        ) {
          const error = yield* Effect.flip(runSql(index, bad));
          assert.match(error.message, /Cannot run the query: it is not a query/);
        }
        const sneaky = yield* Effect.flip(
          runSql(index, "WITH x AS (SELECT 1) DELETE FROM run_summaries"),
        );
        assert.match(sneaky.message, /readonly database/);
        const unknown = yield* Effect.flip(runSql(index, "SELECT * FROM nope"));
        assert.match(unknown.message, /no such table: nope/);
        // The runs the log view holds: a run whose summary a damaged entry hides
        // is one the generator wrote but neither view nor index shows.
        const shown = made.runs.filter((r) => view.runs.has(r.id)).length;
        assert.equal(shown, view.runs.size);
        assert.equal((yield* runSql(index, "SELECT count(*) FROM runs")).rows[0]![0], shown);
      }));
    }).pipe(Effect.provide(ObjectStore.layerTemp)),
  ));
