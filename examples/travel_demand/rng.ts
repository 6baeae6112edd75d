/**
 * A small seeded pseudo-random generator (mulberry32): 32 bits of state, so a run
 * is reproduced exactly from its seed — the property that lets a cached step and a
 * fresh one agree byte for byte. `Math.random` would make every run a miss.
 *
 * @module
 */

/** A stream of uniform numbers in [0, 1). */
export interface Rng {
  /** The next number in [0, 1). */
  readonly next: () => number;
  /** The current state: `createRng` of it continues the stream from here. */
  readonly state: () => number;
}

// Hashes a seed and a stream label into one 32-bit state (FNV-1a over their text,
// then murmur3's finaliser so that nearby seeds land far apart), so that the
// streams of one seed — and the seeds of successive iterations — share no draws.
const mix = (seed: number, stream: string): number => {
  let h = 0x811c9dc5;
  for (const c of `${seed}:${stream}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
};

/**
 * A mulberry32 generator from a 32-bit state.
 *
 * @example
 * ```ts
 * import { createRng } from "./rng.ts"
 *
 * const a = createRng(42), b = createRng(42)
 * a.next() === b.next() // true
 * ```
 */
export const createRng = (state: number): Rng => {
  let s = state >>> 0;
  return {
    next: () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
    state: () => s,
  };
};

/**
 * The generator of one named stream for a seed (`seed + iteration` in the model).
 *
 * @example
 * ```ts
 * import { streamRng } from "./rng.ts"
 *
 * const draws = streamRng(20240 + 3, "mode_choice")
 * draws.next()
 * ```
 */
export const streamRng = (seed: number, stream: string): Rng => createRng(mix(seed, stream));

/**
 * Draws an index from a discrete distribution (`weights` need not sum to 1).
 *
 * @example
 * ```ts
 * import { createRng, sampleIndex } from "./rng.ts"
 *
 * sampleIndex([0, 1, 0], createRng(1)) // 1
 * ```
 */
export const sampleIndex = (weights: readonly number[], rng: Rng): number => {
  let total = 0;
  for (const w of weights) total += w;
  let u = rng.next() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i]!;
    if (u < 0) return i;
  }
  // Rounding can leave u a hair above zero: the last alternative with weight wins.
  for (let i = weights.length - 1; i >= 0; i--) if (weights[i]! > 0) return i;
  return weights.length - 1;
};
