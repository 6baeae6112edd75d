// Section "parallel": what the workers executor buys on this machine. A sweep of S
// independent scenarios × I iterations of a CPU-bound step (~50 ms of work each) runs
// in process and then with `workers({ size: 2 })`, each over a fresh store; the peer is
// Snakemake running the same sweep with Python steps of equal work, `-j 1` and `-j 2`.
// Then what the pool adds to a trivial invocation (sequential misses, in process and in
// a warm pool of one worker), the pool's start-up (the first invocation's extra time:
// the worker's start and its import of the step's module), and single-flight: S
// identical scenarios at once compute each key once (counted from their records).
//
// Run alone: `deno run -A tests/bench/parallel_bench.ts`. `CAIRN_BENCH_PARALLEL_S` and
// `CAIRN_BENCH_PARALLEL_I` set S and I (default 8 × 8), `CAIRN_BENCH_PARALLEL_MS` the
// work per step (default 50), `CAIRN_BENCH_TRIVIAL_N` the trivial invocations (200).
import { Effect, type Layer } from "effect";
import { input, iterate, Pipeline, type PipelineOptions, sweep, workers } from "../../mod.ts";
import type { Row, Section, SectionResult } from "./_section.ts";
import { formatMicros, formatRatio, hasCommand, positiveInt } from "./_measure.ts";
import { formatTable } from "./_table.ts";
import { burn, burnFor, start, trivial } from "./_parallel_steps.ts";

const SPEEDUP_TARGET = 1.8;
const OVERHEAD_TARGET_MS = 1;

const ms = (x: number) => formatMicros(x * 1000);
const seconds = (x: number) => `${(x / 1000).toFixed(2)} s`;

// Rounds of `burnFor` that take `targetMs` here, after the JIT has warmed up.
/** Rounds of `burnFor` that take `targetMs` here (warm JIT). */
export const calibrate = (targetMs: number): number => {
  let work = 100_000;
  for (let i = 0; i < 5; i++) burnFor(work, i);
  for (;;) {
    const t0 = performance.now();
    burnFor(work, 7);
    const took = performance.now() - t0;
    if (took >= 10) return Math.round(work * targetMs / took);
    work *= 4;
  }
};

// The sweep: scenario `<name>/<k>` starts from parameter k (or 0 for all, `same`) and
// burns `work` rounds per iteration.
/** The sweep of S scenarios × I iterations of `burn` (all from 0 with `same`). */
export const program = (scenarios: number, iterations: number, work: number, same: boolean) =>
  sweep(
    same ? "bench-same" : "bench-sweep",
    Object.fromEntries(Array.from({ length: scenarios }, (_, k) => [String(k), same ? 0 : k + 1])),
    (param) =>
      Effect.gen(function* () {
        const w = yield* input.value(work);
        const first = yield* start({ param: yield* input.value(param) });
        return yield* iterate(
          { times: iterations },
          first,
          (s) => burn({ state: s.state, work: w }),
        );
      }),
  );

const layerOf = (root: string, size: number | null) => {
  const options: PipelineOptions = {
    root,
    ...(size === null ? {} : { executor: workers({ size }) }),
  };
  return Pipeline.layerDisk(options);
};

const timed = async <A>(
  effect: Effect.Effect<A, unknown, Pipeline>,
  layer: Layer.Layer<Pipeline, unknown>,
) => {
  const t0 = performance.now();
  const value = await Effect.runPromise(Effect.provide(effect, layer));
  return { ms: performance.now() - t0, value };
};

// Misses and distinct run records among the scenarios' invocations of `step`.
const missesOf = (prefix: string, scenarios: number, step: string) =>
  Effect.gen(function* () {
    const { store } = yield* Pipeline;
    let misses = 0;
    const runs = new Set<string>();
    for (let k = 0; k < scenarios; k++) {
      const id = yield* store.readRef(`scenarios/${prefix}/${k}`);
      const record = (yield* store.readRecord(id!)) as unknown as {
        invocations: { step: string; hit: boolean; run: string }[];
      };
      for (const inv of record.invocations) {
        if (inv.step !== step) continue;
        if (!inv.hit) misses++;
        runs.add(inv.run);
      }
    }
    return { misses, runs: runs.size };
  });

// Trivial misses one after another; returns ms per invocation, and the first one's.
/** Trivial misses one after another: ms per invocation, and the first one's. */
export const trivialRun = (n: number, offset: number) =>
  Effect.gen(function* () {
    const t0 = performance.now();
    yield* trivial({ i: yield* input.value(offset) });
    const first = performance.now() - t0;
    const values = [];
    for (let i = 1; i <= n; i++) values.push(yield* input.value(offset + i));
    const t1 = performance.now();
    for (const v of values) yield* trivial({ i: v });
    return { first, each: (performance.now() - t1) / n };
  });

const BURN_PY = `import sys
def burn(work, seed):
    x = (seed & 0xffffffff) or 1
    for _ in range(work):
        x = (x * 1103515245 + 12345) & 0xffffffff
        x ^= x >> 7
    return x
if __name__ == "__main__":
    seed = int(open(sys.argv[1]).read())
    open(sys.argv[2], "w").write(str(burn(int(sys.argv[3]), seed)))
`;

const SNAKEFILE = `S = int(config["s"])
I = int(config["i"])
W = int(config["w"])

wildcard_constraints:
    s = "\\\\d+",
    i = "\\\\d+"

rule all:
    input: expand("out/{s}/{i}.txt", s=range(S), i=[I - 1])

rule start:
    output: "out/{s}/start.txt"
    shell: "echo $(( {wildcards.s} + 1 )) > {output}"

def previous(wildcards):
    i = int(wildcards.i)
    return f"out/{wildcards.s}/start.txt" if i == 0 else f"out/{wildcards.s}/{i - 1}.txt"

rule burn:
    input: previous
    output: "out/{s}/{i}.txt"
    shell: "python3 burn.py {input} {output} " + str(W)
`;

// Python rounds that take `targetMs` (in one process, start-up excluded).
const calibratePython = async (dir: string, targetMs: number): Promise<number> => {
  const out = await new Deno.Command("python3", {
    args: [
      "-c",
      `import time, burn\nt = time.perf_counter()\nburn.burn(300000, 1)\nprint(time.perf_counter() - t)`,
    ],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`python3: ${new TextDecoder().decode(out.stderr)}`);
  const took = Number(new TextDecoder().decode(out.stdout)) * 1000;
  return Math.round(300_000 * targetMs / took);
};

const snakemake = async (dir: string, s: number, i: number, w: number, jobs: number) => {
  Deno.mkdirSync(dir, { recursive: true });
  Deno.writeTextFileSync(`${dir}/Snakefile`, SNAKEFILE);
  Deno.writeTextFileSync(`${dir}/burn.py`, BURN_PY);
  const t0 = performance.now();
  const out = await new Deno.Command("snakemake", {
    args: ["--cores", String(jobs), "--quiet", "--config", `s=${s}`, `i=${i}`, `w=${w}`],
    cwd: dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`snakemake: ${new TextDecoder().decode(out.stderr)}`);
  return performance.now() - t0;
};

/** The parallel section over scratch directory `scratch`. */
export const runParallelSection = async (scratch: string): Promise<SectionResult> => {
  const s = positiveInt("CAIRN_BENCH_PARALLEL_S", 8);
  const iters = positiveInt("CAIRN_BENCH_PARALLEL_I", 8);
  const stepMs = positiveInt("CAIRN_BENCH_PARALLEL_MS", 50);
  const n = positiveInt("CAIRN_BENCH_TRIVIAL_N", 200);
  const rows: Row[] = [];
  const notes: string[] = [];
  const previous = Deno.env.get("CAIRN_PROGRESS");
  Deno.env.set("CAIRN_PROGRESS", "0");
  try {
    const work = calibrate(stepMs);
    const sweepOf = () => program(s, iters, work, false);
    const inProcess = await timed(sweepOf(), layerOf(`${scratch}/parallel-in-process`, null));
    const pooled = await timed(sweepOf(), layerOf(`${scratch}/parallel-workers`, 2));
    const speedup = inProcess.ms / pooled.ms;
    // The final states by content (the run records, and so the producers, differ).
    const finals = (v: Readonly<Record<string, { state: { id: string } }>>) =>
      JSON.stringify(Object.entries(v).map(([k, o]) => [k, o.state.id]));
    const same = finals(inProcess.value) === finals(pooled.value);
    if (!same) notes.push("parallel: the two sweeps' results differ (they must not)");
    rows.push({
      measure: `sweep of ${s} scenarios × ${iters} iterations, ~${stepMs} ms steps`,
      cairn: seconds(pooled.ms),
      peer: "in process",
      peerFigure: seconds(inProcess.ms),
      ratio: speedup,
      target: `≥ ${SPEEDUP_TARGET}×`,
      pass: speedup >= SPEEDUP_TARGET && same,
      note: `workers({ size: 2 }); ${work.toLocaleString("en-US")} rounds a step`,
    });

    if (hasCommand("snakemake", ["--version"]) && hasCommand("python3", ["--version"])) {
      const dir = `${scratch}/parallel-snakemake`;
      Deno.mkdirSync(dir, { recursive: true });
      Deno.writeTextFileSync(`${dir}/burn.py`, BURN_PY);
      const w = await calibratePython(dir, stepMs);
      const one = await snakemake(`${dir}/j1`, s, iters, w, 1);
      const two = await snakemake(`${dir}/j2`, s, iters, w, 2);
      rows.push({
        measure: "  the same sweep, Python steps",
        cairn: seconds(pooled.ms),
        peer: "snakemake -j 2",
        peerFigure: seconds(two),
        ratio: two / pooled.ms,
        note: `snakemake -j 1: ${seconds(one)} (-j 2 is ${formatRatio(one / two)} faster); ` +
          `each job starts python3 (~20 ms) besides its ${stepMs} ms`,
      });
    } else notes.push("parallel: snakemake or python3 not installed: peer skipped");

    const here = await timed(trivialRun(n, 0), layerOf(`${scratch}/parallel-trivial-here`, null));
    const pool = await timed(trivialRun(n, 0), layerOf(`${scratch}/parallel-trivial-pool`, 1));
    const overhead = pool.value.each - here.value.each;
    rows.push({
      measure: "trivial step, per invocation (a miss)",
      cairn: ms(pool.value.each),
      peer: "in process",
      peerFigure: ms(here.value.each),
      note: `${n} one after another, warm pool of 1`,
    });
    rows.push({
      measure: "  what the pool adds",
      cairn: ms(overhead),
      target: `≤ ${OVERHEAD_TARGET_MS} ms`,
      pass: overhead <= OVERHEAD_TARGET_MS,
    });
    const startUp = pool.value.first - here.value.first;
    rows.push({
      measure: "pool start-up (first invocation's extra time)",
      cairn: ms(startUp),
      note: "a worker process starts and imports the step's module",
    });
    notes.push(
      `parallel: with two workers the sweep cannot beat half its in-process time plus the ` +
        `pool's start-up: ${seconds(inProcess.ms / 2 + startUp)} here, ` +
        `${formatRatio(inProcess.ms / (inProcess.ms / 2 + startUp))} at best`,
    );

    const flight = await timed(
      Effect.andThen(
        program(s, iters, work, true),
        missesOf("bench-same", s, "bench.parallel.burn"),
      ),
      layerOf(`${scratch}/parallel-single-flight`, 2),
    );
    const { misses, runs } = flight.value;
    rows.push({
      measure: `single-flight: ${s} identical scenarios at once`,
      cairn: `${misses} misses`,
      target: `${iters} (each key once)`,
      pass: misses === iters && runs === iters,
      note: `${runs} distinct runs of ${s * iters} invocations; ${seconds(flight.ms)}`,
    });
  } finally {
    if (previous === undefined) Deno.env.delete("CAIRN_PROGRESS");
    else Deno.env.set("CAIRN_PROGRESS", previous);
  }
  return { title: `parallel (${navigator.hardwareConcurrency} cores here)`, rows, notes };
};

/** Section "parallel" for `main.ts`. */
export const parallelSection: Section = {
  name: "parallel",
  run: (bench) => runParallelSection(bench.scratch),
};

if (import.meta.main) {
  const scratch = Deno.makeTempDirSync({ prefix: "cairn-parallel-bench-" });
  try {
    const result = await runParallelSection(scratch);
    console.log(formatTable([result], Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR")));
    for (const note of result.notes) console.log(`note: ${note}`);
  } finally {
    Deno.removeSync(scratch, { recursive: true });
  }
}
