/**
 * A seeded pseudo-random generator whose whole state is four 32-bit words, so a
 * chain can stop after any block, store the state as JSON, and resume exactly
 * where it stopped: xoshiro128** (Blackman & Vigna), seeded through splitmix32.
 *
 * Written here rather than imported: the generator is the thing this example is
 * about (its state must be visible and serializable), and it is 20 lines.
 *
 * @module
 */

/** The full state of the generator: four unsigned 32-bit integers, not all zero. */
export type RngState = readonly [number, number, number, number];

/** A generator over a mutable copy of a state. */
export interface Rng {
  /** The next raw output, an unsigned 32-bit integer. */
  readonly nextUint32: () => number;
  /** A double in [0, 1) with 53 random bits (two raw outputs). */
  readonly uniform: () => number;
  /** A standard normal deviate (Box–Muller over two uniforms: four raw outputs). */
  readonly normal: () => number;
  /** A copy of the current state: `rng(r.state())` continues exactly as `r` would. */
  readonly state: () => RngState;
}

const rotl = (x: number, k: number) => (x << k) | (x >>> (32 - k));

/**
 * A generator starting from `state` (which is copied, never modified).
 *
 * @example Resuming from a saved state
 * ```ts
 * import { rng, seedRng } from "./rng.ts"
 *
 * const a = rng(seedRng(7))
 * a.uniform()
 * const saved = JSON.stringify(a.state())
 * const b = rng(JSON.parse(saved))
 * a.uniform() === b.uniform() // true
 * ```
 */
export const rng = (state: RngState): Rng => {
  if (state.length !== 4 || !state.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32)) {
    throw new Error(`Cannot start the generator: state must be four uint32 words, got ${state}`);
  }
  if (state.every((w) => w === 0)) throw new Error("Cannot start the generator: state is all zero");
  let [s0, s1, s2, s3] = state;
  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };
  const uniform = (): number =>
    ((nextUint32() >>> 5) * 67108864 + (nextUint32() >>> 6)) / 9007199254740992;
  // Box–Muller yields two deviates; the second is dropped rather than kept for the
  // next call, so that the four words above are the generator's entire state.
  const normal = (): number =>
    Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  const snapshot = (): RngState => [s0 >>> 0, s1 >>> 0, s2 >>> 0, s3 >>> 0];
  return { nextUint32, uniform, normal, state: snapshot };
};

/**
 * The state for an integer seed (its low 32 bits): four splitmix32 outputs.
 *
 * @example
 * ```ts
 * import { seedRng } from "./rng.ts"
 *
 * seedRng(1).length // 4
 * ```
 */
export const seedRng = (seed: number): RngState => {
  if (!Number.isSafeInteger(seed)) throw new Error(`Cannot seed the generator with ${seed}`);
  let a = seed | 0;
  const next = (): number => {
    a = (a + 0x9e3779b9) | 0;
    let t = a ^ (a >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    return (t ^ (t >>> 15)) >>> 0;
  };
  const state: RngState = [next(), next(), next(), next()];
  return state.every((w) => w === 0) ? [1, 0, 0, 0] : state;
};
