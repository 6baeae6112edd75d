// Child process of the reliability suites: a pipeline of small records, multi-MiB
// files and directory trees, run as a user would run one (`run` over a store).
//
// Usage: crash_pipeline.ts <root> <side file> <scenario> <variant> <iterations>
//
// seed, then per iteration: params (Json) → field (File, 2–8 MiB) and grid (Dir,
// 5–9 files in nested directories) → reduce (Json, reads both back) → the next
// state. The computation is crash_model.ts, which the parent runs too.
//
// Prints "started" on stdout when the program begins (module loading is over), and
// at the end one JSON line: the final state and every invocation's output ids.
// After each step invocation returns it appends "<step>@<iteration> hit|miss <ms>"
// to the side file and fsyncs it — a line there means the step had completed.
//
// Environment (timing only; nothing here enters a cache key):
//   STEP_MS        each step body sleeps this long
//   GC_COUNT_FILE  each step body waits until the number in this file (gc passes
//                  finished by another process) has grown by GC_WAIT (default 2)
//   RELEASE_REF    a ref to delete once the first step has returned
import { Effect } from "effect";
import {
  type Artifact,
  CurrentScenario,
  Dir,
  File,
  iterate,
  Json,
  Pipeline,
  run,
  scenario,
  step,
} from "../../../mod.ts";
import {
  fieldBytes,
  gridFiles,
  initialState,
  type Params,
  paramsOf,
  reduceState,
} from "./crash_model.ts";
import { args, emit } from "../../store/_fixtures/child_io.ts";

const [root, sideFile, name, variant, iterations] = args(
  "root",
  "sideFile",
  "scenario",
  "variant",
  "iterations",
);
const t0 = performance.now();
const encoder = new TextEncoder();

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// Make a step body overlap work in another process: sleep, or wait for gc passes.
const dawdle = async (): Promise<void> => {
  const ms = Number(Deno.env.get("STEP_MS") ?? "0");
  if (ms > 0) await pause(ms);
  const countFile = Deno.env.get("GC_COUNT_FILE");
  if (!countFile) return;
  const count = () => Number(Deno.readTextFileSync(countFile) || "0");
  const target = count() + Number(Deno.env.get("GC_WAIT") ?? "2");
  const deadline = Date.now() + 30_000;
  while (count() < target) {
    if (Date.now() > deadline) throw new Error(`Cannot go on: no gc pass in "${countFile}"`);
    await pause(2);
  }
};

const readTree = (dir: string, base = ""): Map<string, Uint8Array> => {
  const files = new Map<string, Uint8Array>();
  for (const entry of Deno.readDirSync(dir)) {
    const rel = base ? `${base}/${entry.name}` : entry.name;
    if (entry.isDirectory) {
      for (const [k, v] of readTree(`${dir}/${entry.name}`, rel)) files.set(k, v);
    } else files.set(rel, Deno.readFileSync(`${dir}/${entry.name}`));
  }
  return files;
};

const seed = step({
  name: "seed",
  outputs: { x: Json },
  config: { variant: Number(variant) },
  run: async (_inputs, config) => {
    await dawdle();
    return { x: initialState(config.variant) };
  },
});

const params = step({
  name: "params",
  inputs: { x: Json },
  outputs: { p: Json },
  run: async ({ x }, _config, ctx) => {
    await dawdle();
    return { p: paramsOf(x, ctx.iteration ?? 0) };
  },
});

const field = step({
  name: "field",
  inputs: { p: Json },
  outputs: { field: File },
  run: async ({ p }, _config, ctx) => {
    await dawdle();
    Deno.writeFileSync(`${ctx.outDir}/field`, fieldBytes(p as Params));
    return {};
  },
});

const grid = step({
  name: "grid",
  inputs: { p: Json },
  outputs: { grid: Dir },
  run: async ({ p }, _config, ctx) => {
    await dawdle();
    const dir = `${ctx.outDir}/grid`;
    for (const [rel, bytes] of gridFiles(p as Params)) {
      const path = `${dir}/${rel}`;
      Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
      Deno.writeFileSync(path, bytes);
    }
    return {};
  },
});

const reduce = step({
  name: "reduce",
  inputs: { p: Json, field: File, grid: Dir },
  outputs: { x: Json },
  run: async ({ p, field, grid }) => {
    await dawdle();
    return { x: reduceState(p as Params, Deno.readFileSync(field), readTree(grid)) };
  },
});

/** Output ids of every invocation, by "step@iteration". */
const outputs: Record<string, Record<string, string>> = {};

// After an invocation returns: note its outputs and append its line to the side file.
const noted = <A extends Record<string, Artifact>, E, R>(invocation: Effect.Effect<A, E, R>) =>
  Effect.tap(invocation, (result) =>
    Effect.gen(function* () {
      const last = (yield* CurrentScenario)!.invocations.at(-1)!;
      const label = `${last.step}@${last.iteration ?? "-"}`;
      outputs[label] = Object.fromEntries(Object.entries(result).map(([k, a]) => [k, a.id]));
      const line = `${label} ${last.hit ? "hit" : "miss"} ${(performance.now() - t0).toFixed(1)}\n`;
      const file = Deno.openSync(sideFile, { append: true, create: true });
      try {
        file.writeSync(encoder.encode(line));
        file.syncDataSync();
      } finally {
        file.close();
      }
      const release = Deno.env.get("RELEASE_REF");
      if (release && label === "seed@-") {
        const { store } = yield* Pipeline;
        yield* store.updateRef(release, null, { message: "released by the pipeline" });
      }
    }));

const program = scenario(
  name,
  { config: { variant: Number(variant), iterations: Number(iterations) } },
  Effect.gen(function* () {
    const start = yield* noted(seed({}));
    const final = yield* iterate(
      { times: Number(iterations) },
      start.x,
      (x) =>
        Effect.gen(function* () {
          const { p } = yield* noted(params({ x }));
          const f = yield* noted(field({ p }));
          const g = yield* noted(grid({ p }));
          return (yield* noted(reduce({ p, field: f.field, grid: g.grid }))).x;
        }),
    );
    const { store } = yield* Pipeline;
    const bytes = yield* store.readBlob(final.id);
    return JSON.parse(new TextDecoder().decode(bytes)) as number;
  }),
);

emit("started");
const final = await run(program, { root });
emit({ final, outputs });
