// Section "cluster": what the cluster executor buys and costs on this machine, against
// a throw-away PostgreSQL and runner processes on loopback sharing one disk store. The
// "parallel" section's sweep (S scenarios × I iterations of a ~50 ms CPU-bound step)
// runs on 1 runner, then on 2, then with `workers({ size: 2 })` as the peer, each over
// a fresh store; then trivial misses one after another through one warm runner against
// a warm pool of one worker (the persisted message's round trip is the difference).
// How the 2-runner sweep's invocations split between the runners is noted: entity ids
// are cache keys, hashed onto shards, and the shards onto runners. Start-up is not
// timed: the runners are started and hold their shards, and the pipeline's cluster
// client (or the pool's two workers) has joined with two trivial misses, before the
// sweep's clock starts. The CPU seconds the pipeline process, the runners and
// PostgreSQL spent on each sweep are noted (from /proc): they bound what two runners can
// gain on this machine's cores.
//
// Run alone: `deno run -A tests/bench/cluster_bench.ts` (the parallel section's
// CAIRN_BENCH_PARALLEL_S / _I / _MS and CAIRN_BENCH_TRIVIAL_N apply).
import { Effect, type Layer } from "effect";
import { input, Pipeline, workers } from "../../mod.ts";
import { cluster } from "../../lib/pipeline/cluster/mod.ts";
import { startPostgres } from "../cluster/_postgres.ts";
import { balanced, type RunnerProcess, startRunner } from "../cluster/_runners.ts";
import type { Row, Section, SectionResult } from "./_section.ts";
import { formatMicros, positiveInt } from "./_measure.ts";
import { formatTable } from "./_table.ts";
import { calibrate, program, trivialRun } from "./parallel_bench.ts";
import { trivial } from "./_parallel_steps.ts";

const SPEEDUP_TARGET = 1.7;
const STEPS = new URL("./_parallel_steps.ts", import.meta.url).pathname;

const seconds = (x: number) => `${(x / 1000).toFixed(2)} s`;

const timed = async <A>(
  effect: Effect.Effect<A, unknown, Pipeline>,
  layer: Layer.Layer<Pipeline, unknown>,
) => {
  const t0 = performance.now();
  const value = await Effect.runPromise(Effect.provide(effect, layer));
  return { ms: performance.now() - t0, value };
};

// `effect` timed after a warm-up in the same pipeline: two trivial misses at once, so
// the cluster client has joined (or both workers have started) before the clock starts.
const warmTimed = async <A>(
  effect: Effect.Effect<A, unknown, Pipeline>,
  layer: Layer.Layer<Pipeline, unknown>,
) =>
  await Effect.runPromise(Effect.provide(
    Effect.gen(function* () {
      yield* Effect.all(
        [1, 2].map((i) => Effect.flatMap(input.value(-i), (v) => trivial({ i: v }))),
        { concurrency: 2 },
      );
      const t0 = performance.now();
      const value = yield* effect;
      return { ms: performance.now() - t0, value };
    }),
    layer,
  ));

// CPU seconds (user + system) of a process so far, from /proc; 0 where there is none.
const cpuSeconds = (pid: number | "self"): number => {
  try {
    const fields = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ
  } catch {
    return 0;
  }
};

// PostgreSQL's CPU seconds: the server and its backends (its children).
const postgresSeconds = (server: number): number => {
  let sum = cpuSeconds(server);
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      try {
        const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
        if (Number(stat.split(") ")[1]!.split(" ")[1]) === server) {
          sum += cpuSeconds(Number(entry.name));
        }
      } catch { /* gone */ }
    }
  } catch { /* no /proc */ }
  return sum;
};

const ran = (r: RunnerProcess) => r.events.filter((e) => e.event === "done").length;

/** The cluster section over scratch directory `scratch`. */
export const runClusterSection = async (scratch: string): Promise<SectionResult> => {
  const s = positiveInt("CAIRN_BENCH_PARALLEL_S", 8);
  const iters = positiveInt("CAIRN_BENCH_PARALLEL_I", 8);
  const stepMs = positiveInt("CAIRN_BENCH_PARALLEL_MS", 50);
  const n = positiveInt("CAIRN_BENCH_TRIVIAL_N", 200);
  const rows: Row[] = [];
  const notes: string[] = [];
  const title = `cluster (${navigator.hardwareConcurrency} cores here, runners on loopback)`;
  let pg;
  try {
    pg = await startPostgres();
  } catch (e) {
    return { title, rows, notes: [`cluster: skipped: ${e instanceof Error ? e.message : e}`] };
  }
  const previous = Deno.env.get("CAIRN_PROGRESS");
  Deno.env.set("CAIRN_PROGRESS", "0");
  const runners: RunnerProcess[] = [];
  let settle = 0;
  const withRunners = async <A>(
    count: number,
    root: string,
    f: (started: readonly RunnerProcess[]) => Promise<A>,
  ) => {
    const started = await Promise.all(
      Array.from({ length: count }, () => startRunner(pg.url, root, {}, STEPS)),
    );
    runners.push(...started);
    const t0 = performance.now();
    await balanced(started);
    settle = performance.now() - t0;
    try {
      return { value: await f(started), runners: started };
    } finally {
      for (const r of started) await r.stop();
    }
  };
  try {
    const work = calibrate(stepMs);
    const sweepOf = () => program(s, iters, work, false);
    const layerOf = (root: string) =>
      Pipeline.layerDisk({ root, executor: cluster({ sql: pg.url }) });
    // A sweep over a fresh store on `count` runners (0: workers(2)), with the CPU it cost.
    const sweepOn = async (count: number) => {
      const root = `${scratch}/cluster-${count === 0 ? "workers" : count}`;
      const measure = async (layer: Layer.Layer<Pipeline, unknown>, pids: readonly number[]) => {
        const before = { self: cpuSeconds("self"), pids: pids.map(cpuSeconds), pg: 0 };
        before.pg = postgresSeconds(pg.pid);
        const load = Deno.loadavg()[0]!;
        const { ms } = await warmTimed(sweepOf(), layer);
        return {
          ms,
          load,
          cpu: {
            pipeline: cpuSeconds("self") - before.self,
            runners: pids.map((pid, i) => cpuSeconds(pid) - before.pids[i]!),
            postgres: postgresSeconds(pg.pid) - before.pg,
          },
        };
      };
      if (count === 0) {
        return {
          ...(await measure(Pipeline.layerDisk({ root, executor: workers({ size: 2 }) }), [])),
          split: [] as number[],
        };
      }
      const { value, runners: started } = await withRunners(
        count,
        root,
        (started) => measure(layerOf(root), started.map((r) => r.pid)),
      );
      return { ...value, split: started.map(ran) };
    };
    const cpuNote = (what: string, r: Awaited<ReturnType<typeof sweepOn>>) =>
      `cluster: ${what}: ${seconds(r.ms)} at load ${r.load.toFixed(1)}; CPU s: pipeline ${
        r.cpu.pipeline.toFixed(2)
      }${
        r.cpu.runners.length === 0
          ? ""
          : `, runners ${r.cpu.runners.map((x) => x.toFixed(2)).join(" + ")}`
      }, PostgreSQL ${r.cpu.postgres.toFixed(2)}`;
    const one = { value: await sweepOn(1) };
    const twoRun = await sweepOn(2);
    const two = { value: twoRun, runners: twoRun.split };
    const pool = await sweepOn(0);
    notes.push(cpuNote("1 runner", one.value), cpuNote("2 runners", two.value));
    notes.push(cpuNote("workers(2)", pool));
    const speedup = one.value.ms / two.value.ms;
    // What the CPU measured allows: one runner cannot take less than its own CPU time;
    // two take at least the busier one's, and at least everything every process of the
    // sweep spent shared over the cores (the other work on the machine aside).
    const cores = navigator.hardwareConcurrency;
    const total = (r: typeof twoRun) =>
      r.cpu.pipeline + r.cpu.postgres + r.cpu.runners.reduce((a, x) => a + x, 0);
    const floorOne = Math.max(one.value.cpu.runners[0] ?? 0, total(one.value) / cores);
    const floorTwo = Math.max(...two.value.cpu.runners, total(two.value) / cores);
    notes.push(
      `cluster: from the CPU measured, 1 runner ≥ ${seconds(floorOne * 1000)} and 2 runners ≥ ${
        seconds(floorTwo * 1000)
      } on ${cores} cores: a ceiling of ${(floorOne / floorTwo).toFixed(2)}× (measured ${
        speedup.toFixed(2)
      }×)`,
    );
    notes.push(
      `cluster: the second runner held its shards ${
        seconds(settle)
      } after both were ready (waited for, not timed)`,
    );
    const split = two.runners;
    // On a shared machine the ratio means little without the load it ran under.
    notes.push(
      `cluster: load average before the sweeps: ${
        Deno.loadavg().map((x) => x.toFixed(1)).join(" ")
      } (${navigator.hardwareConcurrency} cores)`,
    );
    rows.push({
      measure: `sweep of ${s} scenarios × ${iters} iterations, ~${stepMs} ms steps, 2 runners`,
      cairn: seconds(two.value.ms),
      peer: "1 runner",
      peerFigure: seconds(one.value.ms),
      ratio: speedup,
      target: `≥ ${SPEEDUP_TARGET}×`,
      pass: speedup >= SPEEDUP_TARGET,
      note: `invocations per runner ${split.join("/")}`,
    });
    rows.push({
      measure: "  the same sweep, workers({ size: 2 })",
      cairn: seconds(two.value.ms),
      peer: "workers(2)",
      peerFigure: seconds(pool.ms),
      ratio: pool.ms / two.value.ms,
    });
    // The trivial misses, with the CPU each process spent per invocation.
    const perMiss = (cpu: number) => `${(cpu * 1000 / (n + 1)).toFixed(1)} ms`;
    const trivial = await withRunners(
      1,
      `${scratch}/cluster-trivial`,
      async (started) => {
        const before = [cpuSeconds("self"), cpuSeconds(started[0]!.pid), postgresSeconds(pg.pid)];
        const value = await timed(trivialRun(n, 0), layerOf(`${scratch}/cluster-trivial`));
        notes.push(
          `cluster: CPU per trivial miss through 1 runner: pipeline ${
            perMiss(cpuSeconds("self") - before[0]!)
          }, runner ${perMiss(cpuSeconds(started[0]!.pid) - before[1]!)}, PostgreSQL ${
            perMiss(postgresSeconds(pg.pid) - before[2]!)
          }`,
        );
        return value;
      },
    );
    const beforePool = cpuSeconds("self");
    const pooled = await timed(
      trivialRun(n, 0),
      Pipeline.layerDisk({
        root: `${scratch}/cluster-trivial-pool`,
        executor: workers({ size: 1 }),
      }),
    );
    notes.push(
      `cluster: CPU per trivial miss through workers(1): pipeline ${
        perMiss(cpuSeconds("self") - beforePool)
      } (the worker's not counted)`,
    );
    const each = trivial.value.value.each;
    rows.push({
      measure: "trivial step, per invocation (a miss), 1 runner",
      cairn: formatMicros(each * 1000),
      peer: "workers(1)",
      peerFigure: formatMicros(pooled.value.each * 1000),
      ratio: pooled.value.each / each,
      note: `${n} one after another; the message's round trip adds ${
        formatMicros((each - pooled.value.each) * 1000)
      }`,
    });
    rows.push({
      measure: "first miss (the client joins the cluster)",
      cairn: formatMicros(trivial.value.value.first * 1000),
      note: "connecting to PostgreSQL and reading the runners and shard assignments",
    });
  } finally {
    for (const r of runners) await r.stop();
    await pg.stop();
    if (previous === undefined) Deno.env.delete("CAIRN_PROGRESS");
    else Deno.env.set("CAIRN_PROGRESS", previous);
  }
  return { title, rows, notes };
};

/** Section "cluster" for `main.ts`. */
export const clusterSection: Section = {
  name: "cluster",
  run: (bench) => runClusterSection(bench.scratch),
};

if (import.meta.main) {
  const scratch = Deno.makeTempDirSync({ prefix: "cairn-cluster-bench-" });
  try {
    const result = await runClusterSection(scratch);
    console.log(formatTable([result], Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR")));
    for (const note of result.notes) console.log(`note: ${note}`);
  } finally {
    Deno.removeSync(scratch, { recursive: true });
  }
}
