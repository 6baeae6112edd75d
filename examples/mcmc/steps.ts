/**
 * The chain's steps. `init` seeds the state; `block` runs one block of
 * Metropolis–Hastings from the previous state (last sample + generator state) and
 * records the block's samples as a Parquet table; `summary` reads every block's
 * table and computes the convergence summary.
 *
 * A block's key is its config, its input state's content id and its iteration, so
 * a longer chain finds the blocks of a shorter one already recorded and runs only
 * the new ones.
 *
 * @module
 */
import {
  type Artifact,
  Json,
  type Row,
  type Step,
  step,
  Table,
  type TableValue,
} from "../../mod.ts";
import { type BlockResult, type ChainState, metropolis } from "./metropolis.ts";
import { seedRng } from "./rng.ts";
import { summarize } from "./summarize.ts";
import type { Target } from "./target.ts";

/** The chain's settings, one place for main.ts and the tests. */
export const settings: {
  readonly seed: number;
  readonly start: readonly number[];
  readonly target: Target;
  readonly scale: number;
  readonly length: number;
  readonly warmupBlocks: number;
} = {
  seed: 20240611,
  // Far off the banana's ridge, so the first block visibly climbs onto it.
  start: [5, -10],
  target: { kind: "banana", a: 2, b: 0.5 },
  scale: 1.5,
  length: 10000,
  warmupBlocks: 1,
};

/** The initial chain state: the starting point and the seeded generator. */
export const init = step({
  name: "mcmc_init",
  outputs: { state: Json },
  config: { seed: settings.seed, start: settings.start },
  run: (_inputs, config) => ({
    state: { x: [...config.start], rng: seedRng(config.seed) } satisfies ChainState,
  }),
});

// Rows `draw, x0, x1, …, accepted`; `draw` numbers the chain's draws from 0.
const samplesTable = (result: BlockResult, first: number): Row[] =>
  result.draws.map((x, i) => ({
    draw: first + i,
    ...Object.fromEntries(x.map((v, d) => [`x${d}`, v])),
    accepted: result.accepted[i]!,
  }));

/** One block: from the previous state to the next, with the block's samples. */
export const block = step({
  name: "mcmc_block",
  inputs: { state: Json },
  outputs: { state: Json, samples: Table },
  config: { target: settings.target, scale: settings.scale, length: settings.length },
  run: ({ state }, config, ctx) => {
    const result = metropolis(state as ChainState, config);
    return {
      state: result.state,
      samples: samplesTable(result, (ctx.iteration ?? 0) * config.length),
    };
  },
});

type SummaryStep = Step<Record<string, typeof Table>, { summary: typeof Json }>;
const summarySteps = new Map<number, SummaryStep>();

// The summary's inputs are one table per block (`block_0`, `block_1`, …), so its
// declaration depends on the chain's length: one step per length, made once.
const summaryStep = (blocks: number): SummaryStep => {
  const known = summarySteps.get(blocks);
  if (known) return known;
  const made: SummaryStep = step({
    name: "mcmc_summary",
    inputs: Object.fromEntries(Array.from({ length: blocks }, (_, i) => [`block_${i}`, Table])),
    outputs: { summary: Json },
    config: { warmupBlocks: settings.warmupBlocks, target: settings.target },
    run: (inputs, config) => {
      const ordered = Object.entries(inputs)
        .sort(([a], [b]) => Number(a.slice("block_".length)) - Number(b.slice("block_".length)))
        .map(([, rows]) => rows);
      return { summary: summarize(ordered, config) };
    },
  });
  summarySteps.set(blocks, made);
  return made;
};

/**
 * The convergence summary of the chain whose blocks produced `samples` (in order).
 *
 * @example
 * ```ts ignore
 * const { summary: result } = yield* summary([b0.samples, b1.samples])
 * ```
 */
export const summary = (samples: readonly Artifact<TableValue>[]) =>
  summaryStep(samples.length)(Object.fromEntries(samples.map((s, i) => [`block_${i}`, s])));
