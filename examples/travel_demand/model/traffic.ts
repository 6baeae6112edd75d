/**
 * Traffic simulation on the linear city's road: one link per direction between
 * adjacent zones. OD volumes load every link on their path; BPR curves turn link
 * volumes into congested link times; the new car skims average the congested and
 * the previous times (successive averages), so the loop converges.
 *
 * @module
 */
import type { AssignmentConfig, NetworkConfig } from "../config.ts";
import type { VolumeRow } from "./rows.ts";
import { freeFlowCarMinutes, type Skims } from "./skims.ts";

/**
 * The BPR volume-delay function: t0 · (1 + α (v / c)^β). It rises with volume.
 *
 * @example
 * ```ts
 * import { bpr } from "./traffic.ts"
 *
 * bpr(10, 1000, 1000, 0.15, 4) // 11.5
 * ```
 */
export const bpr = (
  freeFlow: number,
  volume: number,
  capacity: number,
  alpha: number,
  beta: number,
): number => freeFlow * (1 + alpha * Math.pow(volume / capacity, beta));

/** Vehicles on each link: `up[k]` from zone k to k+1, `down[k]` from k+1 to k (0-based). */
export interface LinkVolumes {
  readonly up: Float64Array;
  readonly down: Float64Array;
}

/**
 * Loads OD volumes onto the links between their origin and destination.
 *
 * @example
 * ```ts
 * import { linkVolumes } from "./traffic.ts"
 *
 * linkVolumes([{ origin: 1, destination: 3, vehicles: 5 }], 3).up // Float64Array [5, 5]
 * ```
 */
export const linkVolumes = (volumes: readonly VolumeRow[], zones: number): LinkVolumes => {
  const up = new Float64Array(zones - 1);
  const down = new Float64Array(zones - 1);
  for (const v of volumes) {
    const o = v.origin - 1, d = v.destination - 1;
    for (let k = Math.min(o, d); k < Math.max(o, d); k++) {
      if (d > o) up[k]! += v.vehicles;
      else down[k]! += v.vehicles;
    }
  }
  return { up, down };
};

/**
 * The next skims: car times between different zones become the relaxed sum of
 * BPR link times along the path (plus access); everything else is unchanged.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "../config.ts"
 * import { distanceMatrix, freeFlowSkims } from "./skims.ts"
 * import { congestedSkims } from "./traffic.ts"
 *
 * const skims = freeFlowSkims(distanceMatrix([0, 2], 0.7), DEFAULT_CONFIG.network)
 * const volumes = [{ origin: 1, destination: 2, vehicles: 5000 }]
 * congestedSkims(skims, volumes, [0, 2], DEFAULT_CONFIG.network, DEFAULT_CONFIG.assignment)
 * ```
 */
export const congestedSkims = (
  skims: Skims,
  volumes: readonly VolumeRow[],
  positions: readonly number[],
  network: NetworkConfig,
  config: AssignmentConfig,
): Skims => {
  const n = skims.zones;
  const loads = linkVolumes(volumes, n);
  const linkTime = (k: number, volume: number) =>
    bpr(
      freeFlowCarMinutes(positions[k + 1]! - positions[k]!, network),
      volume,
      config.linkCapacity,
      config.bprAlpha,
      config.bprBeta,
    );
  const car = skims.time.car.slice();
  for (let o = 0; o < n; o++) {
    for (let d = 0; d < n; d++) {
      if (o === d) continue;
      let minutes = network.accessMinutes.car;
      for (let k = Math.min(o, d); k < Math.max(o, d); k++) {
        minutes += linkTime(k, d > o ? loads.up[k]! : loads.down[k]!);
      }
      const old = car[o * n + d]!;
      car[o * n + d] = old + config.relaxation * (minutes - old);
    }
  }
  return { zones: n, time: { ...skims.time, car }, cost: skims.cost };
};
