/**
 * Summaries of a run: mode shares, vehicle miles travelled (VMT) and person
 * miles by mode (PMT), per iteration, expanded from synthetic persons to residents.
 *
 * @module
 */
import { type Mode, MODES } from "../config.ts";
import type { ChoiceRow } from "./rows.ts";

/** One iteration's mode share of one mode (`mode_shares`). */
export type ModeShareRow = {
  readonly iteration: number;
  readonly mode: string;
  readonly share: number;
};

/** One iteration's miles (`miles`). */
export type MilesRow = {
  readonly iteration: number;
  readonly vmt: number;
  readonly pmt_car: number;
  readonly pmt_transit: number;
  readonly pmt_walk: number;
};

/**
 * The share of trips by each mode (they sum to 1 when there are trips).
 *
 * @example
 * ```ts
 * import { modeShares } from "./summaries.ts"
 *
 * const trip = { trip: 1, person: 1, origin: 1, destination: 1 }
 * modeShares([{ ...trip, mode: "car" }, { ...trip, mode: "walk" }]) // { car: 0.5, transit: 0, walk: 0.5 }
 * ```
 */
export const modeShares = (choices: readonly ChoiceRow[]): Record<Mode, number> => {
  const shares = Object.fromEntries(MODES.map((m) => [m, 0])) as Record<Mode, number>;
  for (const c of choices) shares[c.mode as Mode] += 1;
  for (const m of MODES) shares[m] = choices.length ? shares[m] / choices.length : 0;
  return shares;
};

/**
 * Expanded person miles by mode and car vehicle miles of one iteration's choices.
 *
 * @example
 * ```ts
 * import { iterationMiles } from "./summaries.ts"
 *
 * const choice = { trip: 1, person: 1, origin: 1, destination: 2, mode: "car" }
 * iterationMiles(0, [choice], new Float64Array([1, 4, 4, 1]), 10, 2).vmt // 20
 * ```
 */
export const iterationMiles = (
  iteration: number,
  choices: readonly ChoiceRow[],
  miles: Float64Array,
  residentsPerPerson: number,
  personsPerCar: number,
): MilesRow => {
  const n = Math.round(Math.sqrt(miles.length));
  const pmt = Object.fromEntries(MODES.map((m) => [m, 0])) as Record<Mode, number>;
  for (const c of choices) {
    pmt[c.mode as Mode] += miles[(c.origin - 1) * n + (c.destination - 1)]! * residentsPerPerson;
  }
  return {
    iteration,
    vmt: pmt.car / personsPerCar,
    pmt_car: pmt.car,
    pmt_transit: pmt.transit,
    pmt_walk: pmt.walk,
  };
};

/**
 * The mode-share rows of iterations 0, 1, … from their choices.
 *
 * @example
 * ```ts
 * import { modeShareRows } from "./summaries.ts"
 *
 * modeShareRows([[]]).length // 3: one row per mode
 * ```
 */
export const modeShareRows = (choicesByIteration: readonly (readonly ChoiceRow[])[]) =>
  choicesByIteration.flatMap((choices, iteration) => {
    const shares = modeShares(choices);
    return MODES.map((mode): ModeShareRow => ({ iteration, mode, share: shares[mode] }));
  });
