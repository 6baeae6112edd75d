/**
 * Skims: travel time (minutes) and cost (dollars) by mode for every
 * origin–destination pair, and the free-flow skims of the linear city. Matrices
 * are row-major `Float64Array`s: pair (o, d) of n zones is at `o * n + d`.
 *
 * @module
 */
import { type Mode, MODES, type NetworkConfig } from "../config.ts";

/** Time and cost matrices by mode. */
export interface Skims {
  readonly zones: number;
  readonly time: Readonly<Record<Mode, Float64Array>>;
  readonly cost: Readonly<Record<Mode, Float64Array>>;
}

/**
 * Distances in miles between zone positions; a trip within a zone is `intrazonal`.
 *
 * @example
 * ```ts
 * import { distanceMatrix } from "./skims.ts"
 *
 * distanceMatrix([0, 2], 0.5) // Float64Array [0.5, 2, 2, 0.5]
 * ```
 */
export const distanceMatrix = (positions: readonly number[], intrazonal: number): Float64Array => {
  const n = positions.length;
  const miles = new Float64Array(n * n);
  for (let o = 0; o < n; o++) {
    for (let d = 0; d < n; d++) {
      miles[o * n + d] = o === d ? intrazonal : Math.abs(positions[o]! - positions[d]!);
    }
  }
  return miles;
};

/**
 * Minutes to drive `miles` at free flow, perturbed by `carTimeFactor` (no access time).
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "../config.ts"
 * import { freeFlowCarMinutes } from "./skims.ts"
 *
 * freeFlowCarMinutes(3, DEFAULT_CONFIG.network) // 6 at 30 mph
 * ```
 */
export const freeFlowCarMinutes = (miles: number, network: NetworkConfig): number =>
  (miles / network.speedMph.car) * 60 * network.carTimeFactor;

/**
 * The uncongested skims from a distance matrix.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "../config.ts"
 * import { distanceMatrix, freeFlowSkims } from "./skims.ts"
 *
 * const skims = freeFlowSkims(distanceMatrix([0, 2, 4], 0.7), DEFAULT_CONFIG.network)
 * skims.time.walk[1] // 40 minutes for two miles
 * ```
 */
export const freeFlowSkims = (miles: Float64Array, network: NetworkConfig): Skims => {
  const n = Math.round(Math.sqrt(miles.length));
  const matrix = (f: (m: number) => number) => miles.map(f);
  const time = {} as Record<Mode, Float64Array>;
  const cost = {} as Record<Mode, Float64Array>;
  for (const mode of MODES) {
    time[mode] = matrix((m) =>
      network.accessMinutes[mode] +
      (mode === "car" ? freeFlowCarMinutes(m, network) : (m / network.speedMph[mode]) * 60)
    );
    cost[mode] = matrix((m) => network.fixedCost[mode] + network.costPerMile[mode] * m);
  }
  return { zones: n, time, cost };
};
