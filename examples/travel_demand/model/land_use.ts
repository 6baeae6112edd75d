/**
 * Land use: the zones of the linear city, the synthetic persons living in them
 * (with a seeded income), and the distances between zones.
 *
 * @module
 */
import type { ZoneConfig } from "../config.ts";
import { streamRng } from "../rng.ts";
import type { DistanceRow, PersonRow, ZoneRow } from "./rows.ts";

/**
 * The zones table.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "../config.ts"
 * import { zoneRows } from "./land_use.ts"
 *
 * zoneRows(DEFAULT_CONFIG.zone)[2]!.parking_cost // 6
 * ```
 */
export const zoneRows = (config: ZoneConfig): ZoneRow[] =>
  config.zones.map((z, i) => ({
    zone: i + 1,
    position: z.position,
    population: z.population,
    employment: z.employment,
    parking_cost: z.parkingCost,
  }));

/**
 * One person per `residentsPerPerson` residents of each zone; incomes are
 * log-normal around 50,000 (Box–Muller on the seeded stream).
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "../config.ts"
 * import { personRows } from "./land_use.ts"
 *
 * personRows(DEFAULT_CONFIG.zone, 1).length // 2200
 * ```
 */
export const personRows = (config: ZoneConfig, seed: number): PersonRow[] => {
  const rng = streamRng(seed, "persons");
  const persons: PersonRow[] = [];
  config.zones.forEach((z, i) => {
    const count = Math.round(z.population / config.residentsPerPerson);
    for (let k = 0; k < count; k++) {
      const normal = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
      const income = Math.round(50000 * Math.exp(0.45 * normal));
      persons.push({ person: persons.length + 1, home_zone: i + 1, income });
    }
  });
  return persons;
};

/**
 * The distances table from a distance matrix.
 *
 * @example
 * ```ts
 * import { distanceRows } from "./land_use.ts"
 *
 * distanceRows(new Float64Array([0.5, 2, 2, 0.5]))[1] // { origin: 1, destination: 2, miles: 2 }
 * ```
 */
export const distanceRows = (miles: Float64Array): DistanceRow[] => {
  const n = Math.round(Math.sqrt(miles.length));
  const rows: DistanceRow[] = [];
  for (let o = 0; o < n; o++) {
    for (let d = 0; d < n; d++) {
      rows.push({ origin: o + 1, destination: d + 1, miles: miles[o * n + d]! });
    }
  }
  return rows;
};

/**
 * A distance matrix from the distances table.
 *
 * @example
 * ```ts
 * import { distanceMatrixOf, distanceRows } from "./land_use.ts"
 *
 * distanceMatrixOf(distanceRows(new Float64Array([0.5, 2, 2, 0.5]))) // Float64Array [0.5, 2, 2, 0.5]
 * ```
 */
export const distanceMatrixOf = (rows: readonly DistanceRow[]): Float64Array => {
  const n = Math.round(Math.sqrt(rows.length));
  const miles = new Float64Array(n * n);
  for (const r of rows) miles[(r.origin - 1) * n + (r.destination - 1)] = r.miles;
  return miles;
};
