// The plan of tests/reliability/concurrent_writers_test.ts, shared by the test and its
// worker processes (concurrent_worker.ts): which scenarios each worker runs and what
// every step computes, so that the test can predict every output without being told.
//
// A scenario is `seed`, then ITERATIONS × (`advance` → `blend` → `accumulate`):
//
// - `seed` (config: the chain) and `advance` (no config) depend only on the chain: every
//   worker running a chain has the same keys, so all workers race to write the same
//   objects, run records and index entries.
// - `blend` (config: the worker's group, worker % 2) is shared by half of the workers.
// - `accumulate` (config: worker and epoch) is the worker's own: always a miss.
//
// Worker w's scenario `seq` runs chain `seq % chains`: the first half of a worker's
// scenarios start new chains (the workers, started together, race on them), the second
// half repeat them (hits, except for `accumulate`, whose epoch has moved on).

/** Iterations per scenario. */
export const ITERATIONS = 8;

/** Step invocations per scenario: seed, then three steps per iteration. */
export const STEPS_PER_SCENARIO = 1 + 3 * ITERATIONS;

/** Scenarios' values stay below this. */
const MOD = 1_000_003;

/** What one worker's scenario `seq` runs. */
export interface ScenarioPlan {
  readonly worker: number;
  readonly seq: number;
  /** `shared` (every worker), `pair-<group>` (half of them) or `own-<worker>`. */
  readonly name: string;
  readonly chain: number;
  readonly group: number;
  readonly epoch: number;
}

/** How many distinct chains a worker running `scenarios` scenarios visits. */
export const chainsOf = (scenarios: number): number => Math.max(1, Math.ceil(scenarios / 2));

/** The plan of worker `worker`'s scenario `seq` out of `scenarios`. */
export const planOf = (worker: number, seq: number, scenarios: number): ScenarioPlan => {
  const chains = chainsOf(scenarios);
  const group = worker % 2;
  const names = ["shared", `pair-${group}`, `own-${worker}`];
  return {
    worker,
    seq,
    name: names[seq % names.length]!,
    chain: seq % chains,
    group,
    epoch: Math.floor(seq / chains),
  };
};

/** The seed of a chain. */
export const seedValue = (chain: number): number => chain * 1000 + 1;

/** One step of the chain every worker shares. */
export const advance = (x: number, iteration: number): number => (x * 31 + iteration + 7) % MOD;

/** A group's view of the shared chain. */
export const blend = (x: number, group: number, iteration: number): number =>
  (x * 7 + group * 13 + iteration) % MOD;

/** A worker's own running total. */
export const accumulate = (
  acc: number | undefined,
  y: number,
  worker: number,
  epoch: number,
): number => ((acc ?? 0) * 3 + y + worker * 101 + epoch) % MOD;

/** One invocation a scenario makes, with the value of its output. */
export interface PlannedStep {
  readonly step: "seed" | "advance" | "blend" | "accumulate";
  readonly iteration: number | null;
  /** Output name → value. */
  readonly outputs: Readonly<Record<string, number>>;
}

/** Every invocation of a scenario, in order, with the values it must produce. */
export const plannedSteps = (plan: ScenarioPlan): PlannedStep[] => {
  const steps: PlannedStep[] = [];
  let x = seedValue(plan.chain);
  let acc: number | undefined;
  steps.push({ step: "seed", iteration: null, outputs: { x } });
  for (let i = 0; i < ITERATIONS; i++) {
    x = advance(x, i);
    steps.push({ step: "advance", iteration: i, outputs: { x } });
    const y = blend(x, plan.group, i);
    steps.push({ step: "blend", iteration: i, outputs: { y } });
    acc = accumulate(acc, y, plan.worker, plan.epoch);
    steps.push({ step: "accumulate", iteration: i, outputs: { acc } });
  }
  return steps;
};

/** The ref every worker increments. */
export const COUNTER_REF = "reliability/counter";

/** One invocation, as the scenario recorded it, and the outputs the step returned. */
export interface ManifestInvocation {
  readonly step: string;
  readonly iteration: number | null;
  readonly run: string | null;
  readonly hit: boolean;
  readonly status: string;
  readonly outputs: Readonly<Record<string, string>>;
}

/** What a worker did and got. */
export interface Manifest {
  readonly worker: number;
  readonly scenarios: readonly {
    readonly seq: number;
    readonly name: string;
    readonly invocations: readonly ManifestInvocation[];
  }[];
  /** Successful counter updates: the reflog message and the record the ref was set to. */
  readonly counter: readonly { readonly message: string; readonly id: string }[];
  /** Lost races on the counter, in all and the most for one update. */
  readonly conflicts: number;
  readonly mostConflicts: number;
  /** The values `reliability/worker-<w>` was set to, in order. */
  readonly own: readonly string[];
}

/** The ref only worker `worker` moves. */
export const workerRef = (worker: number): string => `reliability/worker-${worker}`;
