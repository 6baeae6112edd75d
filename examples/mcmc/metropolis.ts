/**
 * Random-walk Metropolis–Hastings, one block at a time. A block starts from a
 * chain state (the last sample and the generator's state) and returns the state
 * after its last draw, so block after block equals one uninterrupted chain.
 *
 * @module
 */
import { rng, type RngState } from "./rng.ts";
import { dimensionOf, logDensity, type Target } from "./target.ts";

/** Everything a chain needs to continue: the last sample and the generator state (JSON-safe). */
export interface ChainState {
  readonly x: readonly number[];
  readonly rng: RngState;
}

/** The sampler's settings for one block. */
export interface BlockOptions {
  readonly target: Target;
  /** Standard deviation of the Gaussian random-walk proposal, per coordinate. */
  readonly scale: number;
  /** Draws in the block. */
  readonly length: number;
}

/** One block's outcome. */
export interface BlockResult {
  /** The state after the last draw: feed it to the next block. */
  readonly state: ChainState;
  /** The chain's value after each draw (a rejected proposal repeats the current point). */
  readonly draws: readonly (readonly number[])[];
  readonly accepted: readonly boolean[];
}

/**
 * Runs `options.length` Metropolis–Hastings draws from `start`.
 *
 * Every draw consumes the same number of random outputs (a proposal deviate per
 * coordinate and one uniform, even when the proposal is uphill), so the generator
 * state alone fixes the rest of the chain.
 *
 * @example
 * ```ts
 * import { metropolis } from "./metropolis.ts"
 * import { seedRng } from "./rng.ts"
 *
 * const { state, draws } = metropolis(
 *   { x: [0], rng: seedRng(1) },
 *   { target: { kind: "normal", dim: 1 }, scale: 2.4, length: 100 },
 * )
 * draws.length // 100; `state` continues the chain
 * ```
 */
export const metropolis = (start: ChainState, options: BlockOptions): BlockResult => {
  const { target, scale, length } = options;
  if (!(scale > 0) || !Number.isFinite(scale)) {
    throw new Error(`Cannot run a block: proposal scale must be positive, got ${scale}`);
  }
  if (!Number.isInteger(length) || length < 1) {
    throw new Error(`Cannot run a block: length must be a positive integer, got ${length}`);
  }
  if (start.x.length !== dimensionOf(target)) {
    throw new Error(
      `Cannot run a block: the state has ${start.x.length} coordinates, the target ${
        dimensionOf(target)
      }`,
    );
  }
  const random = rng(start.rng);
  let x = [...start.x];
  // Recomputed from x rather than stored: the same input gives the same bits.
  let logp = logDensity(target, x);
  const draws: number[][] = [];
  const accepted: boolean[] = [];
  for (let i = 0; i < length; i++) {
    const proposal = x.map((v) => v + scale * random.normal());
    const logq = logDensity(target, proposal);
    const accept = Math.log(random.uniform()) < logq - logp;
    if (accept) {
      x = proposal;
      logp = logq;
    }
    draws.push(x);
    accepted.push(accept);
  }
  return { state: { x, rng: random.state() }, draws, accepted };
};
