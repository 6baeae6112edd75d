/**
 * Convergence diagnostics for a single chain, without a second chain to compare
 * against (so no Gelman–Rubin across chains):
 *
 * - **split-R̂** (Gelman et al., *Bayesian Data Analysis*, 3rd ed., §11.4): the chain
 *   is cut into halves and R̂ is computed across the two. A chain still drifting
 *   has halves that disagree, giving R̂ well above 1; below about 1.01–1.05 is the
 *   usual bar.
 * - **effective sample size by batch means** (Flegal & Jones 2010): the chain is cut
 *   into ⌊√n⌋ batches of ⌊√n⌋ draws; the variance of the batch means estimates the
 *   asymptotic variance σ² of the chain's mean, and ESS = n·s²/σ², where s² is the
 *   sample variance. The Monte Carlo standard error of the mean is σ/√n.
 *
 * @module
 */

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

const variance = (xs: readonly number[]): number => {
  const m = mean(xs);
  return xs.reduce((s, x) => s + (x - m) * (x - m), 0) / (xs.length - 1);
};

/**
 * Split-R̂ of one chain of draws of a scalar (the middle draw of an odd chain is dropped).
 *
 * @example
 * ```ts
 * import { splitRhat } from "./diagnostics.ts"
 *
 * splitRhat([0, 1, 2, 3, 4, 5, 6, 7]) > 1.5 // true: a trend, not a stationary chain
 * ```
 */
export const splitRhat = (draws: readonly number[]): number => {
  const n = Math.floor(draws.length / 2);
  if (n < 2) {
    throw new Error(`Cannot compute split-R-hat: need at least 4 draws, got ${draws.length}`);
  }
  const halves = [draws.slice(0, n), draws.slice(draws.length - n)];
  const within = mean(halves.map(variance));
  const between = n * variance(halves.map(mean));
  const pooled = ((n - 1) / n) * within + between / n;
  return Math.sqrt(pooled / within);
};

/** The batch-means estimates for one scalar chain. */
export interface BatchMeans {
  /** Effective sample size: n·s²/σ̂². */
  readonly ess: number;
  /** Monte Carlo standard error of the chain's mean: σ̂/√n. */
  readonly mcse: number;
}

/**
 * Effective sample size and Monte Carlo standard error by non-overlapping batch
 * means, batches of ⌊√n⌋ draws (the draws after the last full batch are left out
 * of σ̂² but not of s²).
 *
 * @example
 * ```ts
 * import { batchMeans } from "./diagnostics.ts"
 *
 * const { ess, mcse } = batchMeans(Array.from({ length: 100 }, (_, i) => Math.sin(i * 7)))
 * ```
 */
export const batchMeans = (draws: readonly number[]): BatchMeans => {
  const size = Math.floor(Math.sqrt(draws.length));
  const count = Math.floor(draws.length / size);
  if (count < 2) {
    throw new Error(`Cannot compute batch means: need at least 4 draws, got ${draws.length}`);
  }
  const batches = Array.from(
    { length: count },
    (_, k) => mean(draws.slice(k * size, (k + 1) * size)),
  );
  const sigma2 = size * variance(batches);
  return {
    ess: (draws.length * variance(draws)) / sigma2,
    mcse: Math.sqrt(sigma2 / draws.length),
  };
};
