/**
 * Target densities for the sampler, described by plain data so that they can sit
 * in a step's config (and so in its cache key).
 *
 * @module
 */

/**
 * A target density.
 *
 * - `normal`: the standard normal in `dim` dimensions.
 * - `banana`: a twisted Gaussian (Haario, Saksman & Tamminen 1999):
 *   `x0 ~ N(0, a²)`, `x1 | x0 ~ N(b·(x0² − a²), 1)`. Its mean is exactly (0, 0), yet
 *   the curved ridge makes a random-walk sampler mix slowly — convergence is visible.
 */
export type Target =
  | { readonly kind: "normal"; readonly dim: number }
  | { readonly kind: "banana"; readonly a: number; readonly b: number };

/**
 * The log density of `target` at `x`, up to an additive constant.
 *
 * @example
 * ```ts
 * import { logDensity } from "./target.ts"
 *
 * logDensity({ kind: "normal", dim: 1 }, [0]) // 0
 * ```
 */
export const logDensity = (target: Target, x: readonly number[]): number => {
  if (x.length !== dimensionOf(target)) {
    throw new Error(
      `Cannot evaluate the ${target.kind} target at a point of ${x.length} dimensions`,
    );
  }
  if (target.kind === "normal") return -0.5 * x.reduce((sum, v) => sum + v * v, 0);
  const [x0, x1] = x as [number, number];
  const ridge = x1 - target.b * (x0 * x0 - target.a * target.a);
  return -0.5 * (x0 * x0) / (target.a * target.a) - 0.5 * ridge * ridge;
};

/**
 * The number of dimensions of `target`.
 *
 * @example
 * ```ts
 * import { dimensionOf } from "./target.ts"
 *
 * dimensionOf({ kind: "banana", a: 2, b: 0.5 }) // 2
 * ```
 */
export const dimensionOf = (target: Target): number => target.kind === "normal" ? target.dim : 2;

/**
 * The exact mean of `target` (both targets are centred at the origin), used to
 * judge how far a chain's estimate is from the truth.
 *
 * @example
 * ```ts
 * import { trueMean } from "./target.ts"
 *
 * trueMean({ kind: "normal", dim: 3 }) // [0, 0, 0]
 * ```
 */
export const trueMean = (target: Target): number[] => new Array(dimensionOf(target)).fill(0);
