/**
 * Mode choice per trip: the utility of each mode for the trip's person, then a
 * seeded draw from the logit probabilities.
 *
 * @module
 */
import { type ModeChoiceConfig, MODES } from "../config.ts";
import { modeUtilities, probabilities } from "./logit.ts";
import type { ChoiceRow, PersonRow, TripRow, UtilityRow, ZoneRow } from "./rows.ts";
import type { Skims } from "./skims.ts";

/**
 * The utility of every mode for every trip.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "../config.ts"
 * import { zoneRows } from "./land_use.ts"
 * import { distanceMatrix, freeFlowSkims } from "./skims.ts"
 * import { tripUtilities } from "./mode_choice.ts"
 *
 * const zones = zoneRows(DEFAULT_CONFIG.zone)
 * const skims = freeFlowSkims(distanceMatrix(zones.map((z) => z.position), 0.7), DEFAULT_CONFIG.network)
 * const trips = [{ trip: 1, person: 1, origin: 1, destination: 3 }]
 * tripUtilities(trips, [{ person: 1, home_zone: 1, income: 60000 }], zones, skims, DEFAULT_CONFIG.modeChoice)
 * ```
 */
export const tripUtilities = (
  trips: readonly TripRow[],
  persons: readonly PersonRow[],
  zones: readonly ZoneRow[],
  skims: Skims,
  config: ModeChoiceConfig,
): UtilityRow[] => {
  const income = new Map(persons.map((p) => [p.person, p.income]));
  return trips.map((t) => {
    const u = modeUtilities(
      skims,
      t.origin - 1,
      t.destination - 1,
      zones[t.destination - 1]!.parking_cost,
      income.get(t.person) ?? config.referenceIncome,
      config,
    );
    return { ...t, u_car: u.car, u_transit: u.transit, u_walk: u.walk };
  });
};

/**
 * The mode of each trip: the alternative its uniform draw `draw(trip)` falls on in
 * the cumulative logit probabilities. With a draw fixed per trip (common random
 * numbers) a trip changes mode only when its utilities change, so the shares move
 * with the model, not with sampling noise.
 *
 * @example
 * ```ts
 * import { chooseModes } from "./mode_choice.ts"
 *
 * const row = { trip: 1, person: 1, origin: 1, destination: 2, u_car: 0, u_transit: -50, u_walk: -50 }
 * chooseModes([row], () => 0.5)[0]!.mode // "car"
 * ```
 */
export const chooseModes = (
  utilities: readonly UtilityRow[],
  draw: (trip: number) => number,
): ChoiceRow[] =>
  utilities.map((t) => {
    const p = probabilities([t.u_car, t.u_transit, t.u_walk]);
    let u = draw(t.trip);
    let k = 0;
    while (k < MODES.length - 1 && u >= p[k]!) u -= p[k++]!;
    return {
      trip: t.trip,
      person: t.person,
      origin: t.origin,
      destination: t.destination,
      mode: MODES[k]!,
    };
  });
