/**
 * Multinomial logit: mode utilities of an origin–destination pair, choice
 * probabilities and logsums (the expected maximum utility, computed stably).
 *
 * @module
 */
import { type Mode, type ModeChoiceConfig, MODES } from "../config.ts";
import type { Skims } from "./skims.ts";

/**
 * The systematic utility of each mode from `o` to `d` (0-based) for a person of
 * `income`: car pays the destination's parking too; the cost coefficient scales
 * with reference income / income.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "../config.ts"
 * import { distanceMatrix, freeFlowSkims } from "./skims.ts"
 * import { modeUtilities } from "./logit.ts"
 *
 * const skims = freeFlowSkims(distanceMatrix([0, 2], 0.7), DEFAULT_CONFIG.network)
 * modeUtilities(skims, 0, 1, 6, 50000, DEFAULT_CONFIG.modeChoice).car
 * ```
 */
export const modeUtilities = (
  skims: Skims,
  o: number,
  d: number,
  parkingCost: number,
  income: number,
  config: ModeChoiceConfig,
): Record<Mode, number> => {
  const at = o * skims.zones + d;
  const betaCost = config.betaCost * (config.referenceIncome / income);
  const u = {} as Record<Mode, number>;
  for (const mode of MODES) {
    const cost = skims.cost[mode][at]! + (mode === "car" ? parkingCost : 0);
    u[mode] = config.asc[mode] + config.betaTime * skims.time[mode][at]! + betaCost * cost;
  }
  return u;
};

/**
 * ln Σ exp(u), shifted by the maximum so large utilities do not overflow.
 *
 * @example
 * ```ts
 * import { logsum } from "./logit.ts"
 *
 * logsum([0, 0]) // Math.LN2
 * ```
 */
export const logsum = (utilities: readonly number[]): number => {
  const max = Math.max(...utilities);
  let sum = 0;
  for (const u of utilities) sum += Math.exp(u - max);
  return max + Math.log(sum);
};

/**
 * Logit choice probabilities (they sum to 1).
 *
 * @example
 * ```ts
 * import { probabilities } from "./logit.ts"
 *
 * probabilities([0, 0]) // [0.5, 0.5]
 * ```
 */
export const probabilities = (utilities: readonly number[]): number[] => {
  const ls = logsum(utilities);
  return utilities.map((u) => Math.exp(u - ls));
};
