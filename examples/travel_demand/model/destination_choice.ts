/**
 * Destination choice: where each person's work trip goes, by logsum
 * accessibility and zone size (employment). After iteration 0 only a share of the
 * previous iteration's trips choose again — the damping that lets the loop settle.
 *
 * @module
 */
import type { DestinationChoiceConfig } from "../config.ts";
import { type Rng, sampleIndex } from "../rng.ts";
import { probabilities } from "./logit.ts";
import type { LogsumRow, PersonRow, TripRow, ZoneRow } from "./rows.ts";

/**
 * The probability of each destination from every origin: row `o` sums to 1.
 *
 * @example
 * ```ts
 * import { destinationProbabilities } from "./destination_choice.ts"
 *
 * const zones = [1, 2].map((zone) => ({ zone, position: zone, population: 1, employment: 100, parking_cost: 0 }))
 * const logsums = [1, 2].flatMap((origin) => [1, 2].map((destination) => ({ origin, destination, logsum: 0 })))
 * destinationProbabilities(logsums, zones, { betaLogsum: 1, betaSize: 1, updateShare: 1 }) // [[0.5, 0.5], [0.5, 0.5]]
 * ```
 */
export const destinationProbabilities = (
  logsums: readonly LogsumRow[],
  zones: readonly ZoneRow[],
  config: DestinationChoiceConfig,
): number[][] => {
  const n = zones.length;
  const utility: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (const r of logsums) {
    const size = Math.log(Math.max(zones[r.destination - 1]!.employment, 1e-9));
    utility[r.origin - 1]![r.destination - 1] = config.betaLogsum * r.logsum +
      config.betaSize * size;
  }
  return utility.map(probabilities);
};

/**
 * The trips of an iteration: without `previous` every person chooses; otherwise
 * each previous trip chooses again with probability `updateShare` and keeps its
 * destination otherwise. Draws are taken in trip order, so `rng` fixes the result.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "../config.ts"
 * import { distributeTrips } from "./destination_choice.ts"
 * import { createRng } from "../rng.ts"
 *
 * const persons = [{ person: 1, home_zone: 1, income: 50000 }]
 * distributeTrips(persons, undefined, [[0.2, 0.8]], DEFAULT_CONFIG.destinationChoice, createRng(7))
 * ```
 */
export const distributeTrips = (
  persons: readonly PersonRow[],
  previous: readonly TripRow[] | undefined,
  probabilitiesByOrigin: readonly (readonly number[])[],
  config: DestinationChoiceConfig,
  rng: Rng,
): TripRow[] => {
  const choose = (origin: number) => sampleIndex(probabilitiesByOrigin[origin - 1]!, rng) + 1;
  if (!previous) {
    return persons.map((p) => ({
      trip: p.person,
      person: p.person,
      origin: p.home_zone,
      destination: choose(p.home_zone),
    }));
  }
  return previous.map((t) => ({
    trip: t.trip,
    person: t.person,
    origin: t.origin,
    destination: rng.next() < config.updateShare ? choose(t.origin) : t.destination,
  }));
};
