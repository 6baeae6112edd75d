// Section "lineage": answering provenance queries on a store holding a
// 1,000-iteration × 6-step chain (6,000 runs). In-process: loading the lineage
// view, then the full-depth lineage of the final artifact (the walk alone and with
// rendering); end to end: `cairn lineage <id>` and `cairn --help` as processes,
// through the launcher the tasks use (bundled; built once before timing) and from
// the sources (`deno run cli/main.ts`) for comparison.
//
// Run alone: `deno run -A tests/bench/lineage_bench.ts`. `CAIRN_BENCH_CHAIN_ITERS`
// sets the iterations (default 1000).
import { Effect } from "effect";
import { fromFileUrl } from "../../lib/identity/paths.ts";
import { lineageOf, loadLineageView, renderLineage } from "../../lib/query/mod.ts";
import { ObjectStore } from "../../mod.ts";
import { runChain } from "./chain_bench.ts";
import type { Row, Section, SectionResult } from "./_section.ts";
import { positiveInt } from "./_measure.ts";
import { formatTable } from "./_table.ts";

const LAUNCHER = fromFileUrl(new URL("../../cli/launch.ts", import.meta.url).href);
const SOURCES = fromFileUrl(new URL("../../cli/main.ts", import.meta.url).href);

const best = async (runs: number, f: () => Promise<unknown>): Promise<number> => {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await f();
    min = Math.min(min, performance.now() - t);
  }
  return min;
};

const ms = (v: number) => `${v.toFixed(1)} ms`;

const processMs = async (cli: string, args: string[]): Promise<number | undefined> => {
  try {
    Deno.statSync(cli);
  } catch {
    return undefined;
  }
  return await best(3, async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      // As the tasks run them: the launcher without the project's config.
      args: ["run", "-A", ...(cli === LAUNCHER ? ["--no-config"] : []), cli, ...args],
      stdout: "null",
      stderr: "piped",
    })
      .output();
    if (!out.success) {
      throw new Error(`cairn ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
    }
  });
};

const run = async (scratch: string): Promise<SectionResult> => {
  const iters = positiveInt("CAIRN_BENCH_CHAIN_ITERS", 1000);
  const root = `${scratch}/lineage-store`;
  Deno.env.set("CAIRN_PROGRESS", "0");
  const built = await runChain(root, iters);
  const finalId = built.last.id;
  const layer = ObjectStore.layer({ root, create: false });
  const measured = await Effect.runPromise(
    Effect.gen(function* () {
      const loadMs = yield* Effect.promise(() =>
        best(3, () => Effect.runPromise(loadLineageView.pipe(Effect.provide(layer))))
      );
      const view = yield* loadLineageView;
      let runs = 0;
      const walkMs = yield* Effect.promise(() =>
        best(5, () => {
          runs = Object.keys(lineageOf(view, [finalId], null).runs).length;
          return Promise.resolve();
        })
      );
      let lines = 0;
      const renderMs = yield* Effect.promise(() =>
        best(5, () => {
          lines = renderLineage(lineageOf(view, [finalId], null)).length;
          return Promise.resolve();
        })
      );
      return { loadMs, walkMs, renderMs, runs, lines };
    }).pipe(Effect.provide(layer)),
  );
  // The first launch after a source change builds the bundle; that is not timed.
  await processMs(LAUNCHER, ["--version"]);
  const endToEnd = await processMs(LAUNCHER, ["lineage", finalId, "--store", root]);
  const help = await processMs(LAUNCHER, ["--help"]);
  const endToEndSources = await processMs(SOURCES, ["lineage", finalId, "--store", root]);
  const helpSources = await processMs(SOURCES, ["--help"]);
  const notes: string[] = [];
  if (measured.runs !== iters * 6 + 1) {
    notes.push(`lineage reached ${measured.runs} runs, expected ${iters * 6 + 1}`);
  }
  if (endToEnd === undefined) notes.push("cli/launch.ts not found: end-to-end rows skipped");
  const rows: Row[] = [
    {
      measure: "load lineage view",
      cairn: ms(measured.loadMs),
      note: `${measured.runs} runs in the chain`,
    },
    {
      measure: "full-depth lineage, in-process",
      cairn: ms(measured.walkMs),
      target: "≤ 20 ms",
      pass: measured.walkMs <= 20,
      note: "view loaded; the walk",
    },
    {
      measure: "full-depth lineage + render",
      cairn: ms(measured.renderMs),
      target: "≤ 20 ms",
      pass: measured.renderMs <= 20,
      note: `${measured.lines} lines`,
    },
    {
      measure: "cairn lineage <final>, process",
      cairn: endToEnd === undefined ? "n/a" : ms(endToEnd),
      target: "≤ 300 ms",
      ...(endToEnd === undefined ? {} : { pass: endToEnd <= 300 }),
      note: "best of 3, deno start-up included",
    },
    {
      measure: "  the same from the sources",
      cairn: endToEndSources === undefined ? "n/a" : ms(endToEndSources),
      note: "deno run cli/main.ts, unbundled",
    },
    {
      measure: "cairn --help, process",
      cairn: help === undefined ? "n/a" : ms(help),
      target: "≤ 150 ms",
      ...(help === undefined ? {} : { pass: help <= 150 }),
      note: "best of 3",
    },
    {
      measure: "  the same from the sources",
      cairn: helpSources === undefined ? "n/a" : ms(helpSources),
      note: "deno run cli/main.ts, unbundled",
    },
  ];
  return { title: `lineage (${iters} iterations × 6 steps = ${iters * 6} runs)`, rows, notes };
};

/** The "lineage" benchmark section. */
export const lineageSection: Section = { name: "lineage", run: (bench) => run(bench.scratch) };

if (import.meta.main) {
  const scratch = Deno.makeTempDirSync({ prefix: "cairn-lineage-bench-" });
  try {
    const result = await run(scratch);
    console.log(formatTable([result], Deno.stdout.isTerminal()));
  } finally {
    Deno.removeSync(scratch, { recursive: true });
  }
}
