/**
 * `deno task demo`: the travel-demand model over a cairn store (`$CAIRN_STORE`,
 * else `./.cairn`). It runs the baseline (10 iterations), shows its convergence,
 * plots and lineage, extends it to 15 iterations — reusing 0–9 — materializes an
 * output, queries the store, and ends with CLI commands to try on the same store.
 * Run it twice: the second run is all cache hits.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import {
  formatBytes,
  impactOf,
  lineage,
  listArtifacts,
  listRuns,
  loadLineageView,
  renderLineage,
  scenarioHistory,
} from "../../lib/query/mod.ts";
import { ObjectStore, Pipeline, run, Table } from "../../mod.ts";
import { MODES } from "./config.ts";
import type { MilesRow, ModeShareRow } from "./model/summaries.ts";
import { travelDemandScenario } from "./pipeline.ts";
import { listFiles, percent, ranges, table, whole } from "./_format.ts";
import { hitLine, reuseTable, reuseVerdict } from "./_scenario_report.ts";

const OUTPUT = "demo-output";
const BASELINE = 10;
const EXTENDED = 15;
const short = (id: string) => id.slice(0, 12);
const say = (...lines: string[]) => lines.forEach((l) => console.log(l));
const heading = (n: number, title: string) => say("", `${n}. ${title}`, "");
const indent = (lines: readonly string[]) => lines.map((l) => `   ${l}`);

const readTable = <T>(id: string) =>
  Effect.gen(function* () {
    const bytes = yield* (yield* ObjectStore).readBlob(id);
    return yield* Effect.tryPromise({
      try: async () => (await Table.decode(bytes)) as unknown as T[],
      catch: (e) => new Error(`Cannot decode table ${short(id)}: ${e}`),
    });
  });

/** Runs a scenario and returns its outputs, its record and the wall time. */
const timed = (name: string, iterations: number) =>
  Effect.gen(function* () {
    const t0 = performance.now();
    const outputs = yield* travelDemandScenario(name, iterations);
    const ms = performance.now() - t0;
    const [record] = yield* scenarioHistory(name, 1);
    return { outputs, ms, record: record! };
  });

const program = Effect.gen(function* () {
  const { store } = yield* Pipeline;
  say(`cairn travel-demand demo — store: ${store.root}`);

  heading(1, `Baseline scenario: ${BASELINE} iterations of a 5-zone linear city`);
  const base = yield* timed("baseline", BASELINE);
  say(`   ${hitLine(base.record, base.ms)}`);
  const plotsDir = `${OUTPUT}/baseline-plots`;
  yield* store.materialize(base.outputs.plots.id, plotsDir, { overwrite: true });
  say("   plots (SVG):", ...listFiles(plotsDir).map(([f]) => `     ${plotsDir}/${f}`));

  heading(2, "Mode shares per iteration (congestion feeds back until the shares settle)");
  const shares = yield* readTable<ModeShareRow>(base.outputs.modeShares.id);
  const miles = yield* readTable<MilesRow>(base.outputs.miles.id);
  let previousCar: number | undefined;
  const rows = miles.map((m) => {
    const of = (mode: string) =>
      shares.find((s) => s.iteration === m.iteration && s.mode === mode)!.share;
    const car = of("car");
    const change = previousCar === undefined ? undefined : (car - previousCar) * 100;
    const delta = change === undefined ? "" : `${change >= 0 ? "+" : ""}${change.toFixed(1)} pt`;
    previousCar = car;
    return [String(m.iteration), ...MODES.map((mode) => percent(of(mode))), delta, whole(m.vmt)];
  });
  say(...indent(table([">iteration", ">car", ">transit", ">walk", ">Δ car", ">VMT"], rows)));

  heading(3, "Lineage of the final skims (depth 4) — what `deno task lineage skims` prints");
  const view = yield* loadLineageView;
  const tree = yield* lineage(base.outputs.skims.id, view, { depth: 4 });
  say(...indent(renderLineage(tree)));

  heading(4, `Extended scenario: the same model for ${EXTENDED} iterations`);
  const ext = yield* timed("extended", EXTENDED);
  say(...indent(table(["step", "reused (hit)", "ran (miss)"], reuseTable(ext.record))));
  say("", `   ${reuseVerdict(ext.record, BASELINE, EXTENDED)}`, "");
  say(`   baseline (${BASELINE} iterations)  ${hitLine(base.record, base.ms)}`);
  say(`   extended (${EXTENDED} iterations)  ${hitLine(ext.record, ext.ms)}`);

  heading(5, "Materialize a cached output: the extended run's final skims (a zarr directory)");
  const skimsDir = `${OUTPUT}/extended-skims`;
  const written = yield* store.materialize(ext.outputs.skims.id, skimsDir, { overwrite: true });
  say(
    `   tree ${short(ext.outputs.skims.id)} → ${skimsDir}: ${written.files} files, ${
      formatBytes(written.bytes)
    } (copies, verified: writing to them cannot reach the store)`,
  );
  say(...indent(table(["file", ">bytes"], listFiles(skimsDir).map(([f, n]) => [f, String(n)]))));

  heading(6, "Queries");
  const after = yield* loadLineageView;
  // The newest extended record only (a store that ran the demo before holds older ones).
  const runs5 = (yield* listRuns(after, { scenario: "extended", iteration: 5 }))
    .filter((r) => r.scenarioRecord === ext.record.id);
  say("   The runs of iteration 5 (in the extended scenario) and their outputs:", "");
  const runRows = runs5.flatMap((r) => {
    const made = r.run ? after.runs.get(r.run) : undefined;
    const outputs = r.run ? listArtifacts(after, { run: r.run }) : [];
    const cache = r.hit ? `hit, made by ${made?.scenario ?? "?"}` : "ran";
    return outputs.map((a, i) =>
      i === 0
        ? [
          `${r.step}@5`,
          short(r.run!),
          cache,
          a.name,
          `${a.kind} ${short(a.id)}`,
          formatBytes(a.size),
        ]
        : ["", "", "", a.name, `${a.kind} ${short(a.id)}`, formatBytes(a.size)]
    );
  });
  say(...indent(table(["run", "id", "cache", "output", "artifact", ">size"], runRows)));
  const impact = impactOf(after, base.outputs.zones.id);
  say(
    "",
    `   What would re-run if parking costs changed: the runs downstream of zones ${
      short(base.outputs.zones.id)
    }`,
    `   (${impact.direct.length} read it directly, ${impact.transitive.length} in all):`,
    "",
  );
  const order = [...new Set(ext.record.invocations.map((i) => i.step))];
  const stepsHit = Object.entries(impact.byStep).sort(([a], [b]) =>
    order.indexOf(a) - order.indexOf(b)
  );
  const byStep = stepsHit.map(([step, its]) => [
    step,
    String(its.length),
    its.every((i) => i === null) ? "—" : ranges(its.filter((i): i is number => i !== null)),
  ]);
  say(...indent(table(["step", ">runs", "iterations"], byStep)));

  heading(7, "Try next, on the same store (the CLI reads $CAIRN_STORE, else ./.cairn)");
  const mode5 = runs5.find((r) => r.step === "mode_choice")?.run;
  const commands: [string, string][] = [
    ["deno task lineage skims --depth 3", "the final skims, back through the runs"],
    ["deno task cairn scenarios", "baseline and extended, with hits and misses"],
    ["deno task cairn runs --scenario extended --iteration 12", "one iteration's invocations"],
    ["deno task cairn why extended traffic_simulation@12", "why that step ran"],
    ...(mode5
      ? [[`deno task cairn show ${short(mode5)}`, "a run record"] as [string, string]]
      : []),
    ["deno task cairn impact zones", "what would re-run if parking costs changed"],
    ["deno task cairn diff baseline extended", "config, facet and output differences"],
    [`deno task cairn lineage ${skimsDir}`, "a materialized copy, recognised by content"],
    ["deno task cairn graph skims --depth 2 --format mermaid", "the lineage as a diagram"],
    ["deno task cairn gc --dry-run", "what garbage collection would remove"],
    ["deno task cairn fsck", "re-hash every object"],
  ];
  const width = Math.max(...commands.map(([c]) => c.length));
  say(...indent(commands.map(([c, why]) => `${c.padEnd(width)}  # ${why}`)));
  say("", "   (Without Deno installed: `npx -y deno@2 task ...` instead of `deno task ...`.)");
  return { base, ext };
});

if (import.meta.main) {
  const root = Deno.env.get("CAIRN_STORE") ?? ".cairn";
  // The queries need the store as a service of its own; the pipeline holds it.
  const withStore = Effect.gen(function* () {
    const { store } = yield* Pipeline;
    return yield* Effect.provideService(program, ObjectStore, store);
  });
  await run(withStore, { root });
}
