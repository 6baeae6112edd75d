/**
 * Assignment: car trips become vehicles per origin–destination pair (expanded
 * from synthetic persons to residents, divided by car occupancy).
 *
 * @module
 */
import type { ChoiceRow, VolumeRow } from "./rows.ts";

/**
 * Vehicles for every pair of `zones` zones (pairs without car trips carry 0).
 *
 * @example
 * ```ts
 * import { odCarVolumes } from "./assignment.ts"
 *
 * const choice = { trip: 1, person: 1, origin: 1, destination: 2, mode: "car" }
 * odCarVolumes([choice], 2, 10, 1)[1] // { origin: 1, destination: 2, vehicles: 10 }
 * ```
 */
export const odCarVolumes = (
  choices: readonly ChoiceRow[],
  zones: number,
  residentsPerPerson: number,
  personsPerCar: number,
): VolumeRow[] => {
  const counts = new Float64Array(zones * zones);
  for (const c of choices) {
    if (c.mode === "car") counts[(c.origin - 1) * zones + (c.destination - 1)]! += 1;
  }
  const rows: VolumeRow[] = [];
  for (let o = 0; o < zones; o++) {
    for (let d = 0; d < zones; d++) {
      rows.push({
        origin: o + 1,
        destination: d + 1,
        vehicles: (counts[o * zones + d]! * residentsPerPerson) / personsPerCar,
      });
    }
  }
  return rows;
};
