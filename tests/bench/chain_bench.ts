// Section "chain": what the interpreter costs per step. N iterations × 6 steps, each
// step a trivial function of the previous state (25 numbers, Json) and a small
// config; run cold on a fresh store, then replayed fully cached in a fresh layer
// (in this process) and in a fresh process. The peer is joblib.Memory doing the
// same 6N-call chain (`chain_joblib.py`), measured in the same run.
//
// Run alone: `deno run -A tests/bench/chain_bench.ts`. `CAIRN_BENCH_CHAIN_ITERS`
// sets N (default 1000).
import { Effect } from "effect";
import { type Artifact, iterate, Json, Pipeline, scenario, step } from "../../mod.ts";
import type { Row, Section, SectionResult } from "./_section.ts";
import { formatMicros, hasCommand, positiveInt, runPeer } from "./_measure.ts";
import { formatTable } from "./_table.ts";

const STEPS = 6;
const WIDTH = 25;
const SCENARIO = "chain-bench";
const COLD_TARGET_US = 300;
const CACHED_TARGET_US = 20;

type State = number[];
interface Advance {
  readonly scale: number;
  readonly shift: number;
  readonly modulus: number;
}

// The step's own work. chain_joblib.py does the same float operations in the same
// order (positive operands, so `%` agrees), so both chains end on identical states.
const advance = (state: State, config: Advance): State =>
  state.map((x, j) => (x * config.scale + config.shift + j) % config.modulus);

const configOf = (k: number): Advance => ({
  scale: 1 + (k + 1) / 64,
  shift: k + 0.25,
  modulus: 997,
});
const INITIAL: State = Array.from({ length: WIDTH }, (_, j) => j * 1.5);

const seed = step({
  name: "chain.seed",
  outputs: { state: Json },
  run: () => ({ state: INITIAL }),
});

const STAGES = Array.from({ length: STEPS }, (_, k) =>
  step({
    name: `chain.s${k}`,
    inputs: { state: Json },
    outputs: { state: Json },
    config: configOf(k),
    run: ({ state }, config) => ({ state: advance(state as State, config) }),
  }));

// Another start for the same stages (section "queries": new runs in a scenario of their
// own, every key new because the first state differs).
const variantSeed = step({
  name: "chain.seed-variant",
  outputs: { state: Json },
  config: { shift: 1 },
  run: (_inputs, config) => ({ state: INITIAL.map((x) => x + config.shift) }),
});

// `marks` gets the times at which iteration 0 and the last iteration ended.
const chain = (iters: number, marks: number[], variant = false) =>
  scenario(
    variant ? `${SCENARIO}-variant` : SCENARIO,
    { config: { iters } },
    Effect.gen(function* () {
      const start = variant ? yield* variantSeed({}) : yield* seed({});
      const last = yield* iterate({ times: iters }, start.state as Artifact, (state, i) =>
        Effect.gen(function* () {
          let current = state;
          for (const stage of STAGES) {
            current = (yield* stage({ state: current })).state;
          }
          if (i === 0) {
            marks.push(performance.now());
          }
          return current;
        }));
      marks.push(performance.now());
      return last;
    }),
  );

const pureChain = (iters: number): State => {
  let state = INITIAL;
  for (let i = 0; i < iters; i++) {
    for (let k = 0; k < STEPS; k++) state = advance(state, configOf(k));
  }
  return state;
};

/** Timings of one chain run. */
export interface ChainRun {
  readonly ms: number;
  /** Per step over iterations 1…N-1: no layer opening, index loading, code identity or scenario record. */
  readonly steadyUs: number;
  /** What the rest took: up to the end of iteration 0, and after the last one. */
  readonly firstMs: number;
  readonly finishMs: number;
  readonly last: Artifact;
}

/**
 * Runs the chain over the store at `root` in a fresh layer (the lineage section builds
 * its store with it); with `variant`, a chain of new runs in scenario
 * `chain-bench-variant`, from another first state.
 */
export const runChain = async (root: string, iters: number, variant = false): Promise<ChainRun> => {
  const marks: number[] = [];
  const start = performance.now();
  const last = await Effect.runPromise(
    chain(iters, marks, variant).pipe(Effect.provide(Pipeline.layerDisk({ root }))),
  );
  const end = performance.now();
  const [first = end, loop = end] = marks;
  return {
    ms: end - start,
    steadyUs: iters > 1 ? us(loop - first, (iters - 1) * STEPS) : NaN,
    firstMs: first - start,
    finishMs: end - loop,
    last,
  };
};

const phases = (run: ChainRun) =>
  `steady ${formatMicros(run.steadyUs)}/step; to end of iteration 0 ${
    run.firstMs.toFixed(0)
  } ms, scenario record and close ${run.finishMs.toFixed(0)} ms`;

// What the newest scenario record says, and the final state: checked, not timed.
const inspect = (root: string, last: Artifact) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const { store } = yield* Pipeline;
      const ref = yield* store.readRef(`scenarios/${SCENARIO}`);
      const record = yield* store.readRecord(ref!);
      const invocations = record.invocations as { hit: boolean }[];
      const state = Json.decode(yield* store.readBlob(last.id)) as State;
      return { hits: invocations.filter((i) => i.hit).length, total: invocations.length, state };
    }).pipe(Effect.provide(Pipeline.layerDisk({ root }))),
  );

const us = (ms: number, steps: number) => (ms * 1000) / steps;

const sameState = (a: State, b: State) => a.length === b.length && a.every((x, i) => x === b[i]);

interface JoblibPhase {
  readonly us_per_call: number;
  readonly own_us_per_call: number;
  readonly calls: number;
  readonly state: State;
}

// Debian's python3-joblib lands in /usr/bin/python3, which need not be the python3 on PATH.
const findPython = (): string | undefined =>
  ["/usr/bin/python3", "python3"].find((py) => hasCommand(py, ["-c", "import joblib"]));

const joblibPhase = async (python: string, dir: string, iters: number, phase: string) => {
  const script = `${import.meta.dirname}/chain_joblib.py`;
  const out = await runPeer(python, [script, phase, dir, String(iters)]);
  return { wallMs: out.ms, result: JSON.parse(out.stdout) as JoblibPhase };
};

/** The chain section over scratch directory `scratch`. */
export const runChainSection = async (scratch: string): Promise<SectionResult> => {
  const iters = positiveInt("CAIRN_BENCH_CHAIN_ITERS", 1000);
  const steps = iters * STEPS + 1; // + the seed step
  const notes: string[] = [];
  const root = `${scratch}/chain-store`;
  const previous = Deno.env.get("CAIRN_PROGRESS");
  Deno.env.set("CAIRN_PROGRESS", "0");
  let cold, cached, child, coldCheck, cachedCheck, childCheck;
  try {
    cold = await runChain(root, iters);
    coldCheck = await inspect(root, cold.last);
    // Best of 3 fresh layers: the first also pays for JIT warm-up of the hit path.
    cached = await runChain(root, iters);
    for (let r = 1; r < 3; r++) {
      const replay = await runChain(root, iters);
      if (replay.ms < cached.ms) cached = replay;
    }
    cachedCheck = await inspect(root, cached.last);
    // A fresh process: start-up, module load and code identity included.
    const self = new URL(import.meta.url).pathname;
    const started = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", "--quiet", self, "--replay", root, String(iters)],
      cwd: `${import.meta.dirname}/../..`,
      env: { CAIRN_PROGRESS: "0" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const wallMs = performance.now() - started;
    if (!out.success) {
      throw new Error(`Cannot replay in a subprocess: ${new TextDecoder().decode(out.stderr)}`);
    }
    const reply = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      ms: number;
      last: Artifact;
    };
    child = { wallMs, ms: reply.ms };
    childCheck = await inspect(root, reply.last);
  } finally {
    if (previous === undefined) Deno.env.delete("CAIRN_PROGRESS");
    else Deno.env.set("CAIRN_PROGRESS", previous);
  }

  const expected = pureChain(iters);
  if (coldCheck.hits !== 0 || coldCheck.total !== steps) {
    notes.push(
      `chain: cold run had ${coldCheck.hits} hits of ${coldCheck.total} (expected 0 of ${steps})`,
    );
  }
  for (
    const [what, check] of [["replay", cachedCheck], ["subprocess replay", childCheck]] as const
  ) {
    if (check.hits !== steps || check.total !== steps) {
      notes.push(`chain: ${what} had ${check.hits} hits of ${check.total} (expected all ${steps})`);
    }
  }
  if (![coldCheck, cachedCheck, childCheck].every((c) => sameState(c.state, expected))) {
    notes.push("chain: cairn's final state differs from the plain function chain");
  }

  // The step's own work: the pure function over the same states, 6N calls.
  pureChain(iters);
  const ownStart = performance.now();
  pureChain(iters);
  const ownUs = us(performance.now() - ownStart, iters * STEPS);

  const coldUs = us(cold.ms, steps);
  const cachedUs = us(cached.ms, steps);
  const python = findPython();
  let jCold: Awaited<ReturnType<typeof joblibPhase>> | undefined;
  let jCached: Awaited<ReturnType<typeof joblibPhase>> | undefined;
  if (python) {
    const dir = `${scratch}/chain-joblib`;
    jCold = await joblibPhase(python, dir, iters, "cold");
    jCached = await joblibPhase(python, dir, iters, "cached");
    if (!sameState(jCold.result.state, expected) || !sameState(jCached.result.state, expected)) {
      notes.push(
        "chain: joblib's final state differs from cairn's (the workloads are not the same)",
      );
    }
  } else {
    notes.push(
      "chain: joblib not importable by /usr/bin/python3 or python3 (apt-get install python3-joblib): peer skipped",
    );
  }
  const peer = (figure: number | undefined, mine: number) =>
    figure === undefined
      ? {}
      : { peer: "joblib.Memory", peerFigure: formatMicros(figure), ratio: figure / mine };

  const coldOverhead = coldUs - ownUs;
  const rows: Row[] = [
    {
      measure: "chain cold, per step",
      cairn: formatMicros(coldUs),
      ...peer(jCold?.result.us_per_call, coldUs),
      note: `${steps} steps (${iters} × ${STEPS} + seed) in ${(cold.ms / 1000).toFixed(2)} s; ${
        phases(cold)
      }`,
    },
    {
      measure: "chain cold, overhead beyond own work",
      cairn: formatMicros(coldOverhead),
      ...peer(
        jCold && jCold.result.us_per_call - jCold.result.own_us_per_call,
        coldOverhead,
      ),
      target: `≤ ${COLD_TARGET_US} µs`,
      pass: coldOverhead <= COLD_TARGET_US,
    },
    {
      measure: "chain cached replay, per step",
      cairn: formatMicros(cachedUs),
      ...peer(jCached?.result.us_per_call, cachedUs),
      target: `≤ ${CACHED_TARGET_US} µs`,
      pass: cachedUs <= CACHED_TARGET_US,
      note: `fresh layer, same process, best of 3; ${phases(cached)}`,
    },
    {
      measure: "chain cached replay, whole process",
      cairn: formatMicros(us(child.wallMs, steps)),
      ...peer(jCached && us(jCached.wallMs, jCached.result.calls), us(child.wallMs, steps)),
      note: `per step, start-up included: ${(child.wallMs / 1000).toFixed(2)} s ` +
        `(in-process part ${(child.ms / 1000).toFixed(2)} s)`,
    },
    {
      measure: "step's own work (plain function)",
      cairn: formatMicros(ownUs),
      ...(jCold ? { peer: "python", peerFigure: formatMicros(jCold.result.own_us_per_call) } : {}),
      note: "no cache; for comparison",
    },
  ];
  return { title: `chain (${iters} iterations × ${STEPS} steps, 25-number state)`, rows, notes };
};

/** Section "chain" for `main.ts`. */
export const chainSection: Section = {
  name: "chain",
  run: (bench) => runChainSection(bench.scratch),
};

/** Runs the chain section alone and prints its table. */
export async function chainBench(): Promise<void> {
  const scratch = Deno.makeTempDirSync({ prefix: "cairn-chain-bench-" });
  try {
    const result = await runChainSection(scratch);
    console.log(formatTable([result], Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR")));
    console.log("\n× faster: the peer's time ÷ cairn's (above 1× cairn is faster).");
    for (const note of result.notes) console.log(`note: ${note}`);
  } finally {
    Deno.removeSync(scratch, { recursive: true });
  }
}

if (import.meta.main) {
  if (Deno.args[0] === "--replay") {
    // The child of the whole-process measure: one replay, its in-process time on stdout.
    const { ms, last } = await runChain(Deno.args[1]!, Number(Deno.args[2]));
    console.log(JSON.stringify({ ms, last }));
  } else {
    await chainBench();
  }
}
