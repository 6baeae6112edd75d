/**
 * The row shapes of the model's tables (type aliases, not interfaces, so that they
 * are assignable to the Table codec's rows). Zones are numbered from 1 in tables and
 * indexed from 0 in matrices (`zone - 1`).
 *
 * @module
 */

/** A zone of the linear city (`zones`). */
export type ZoneRow = {
  readonly zone: number;
  readonly position: number;
  readonly population: number;
  readonly employment: number;
  readonly parking_cost: number;
};

/** A synthetic person, who makes one work trip (`persons`). */
export type PersonRow = {
  readonly person: number;
  readonly home_zone: number;
  readonly income: number;
};

/** The distance of an origin–destination pair (`distances`). */
export type DistanceRow = {
  readonly origin: number;
  readonly destination: number;
  readonly miles: number;
};

/** The mode-choice logsum of an origin–destination pair (`logsums`). */
export type LogsumRow = {
  readonly origin: number;
  readonly destination: number;
  readonly logsum: number;
};

/** A trip with its destination (`trips`). */
export type TripRow = {
  readonly trip: number;
  readonly person: number;
  readonly origin: number;
  readonly destination: number;
};

/** A trip with the utility of each mode (`utilities`). */
export type UtilityRow = TripRow & {
  readonly u_car: number;
  readonly u_transit: number;
  readonly u_walk: number;
};

/** A trip with its chosen mode (`choices`). */
export type ChoiceRow = TripRow & {
  readonly mode: string;
};

/** Cars per period between an origin and a destination (`volumes`). */
export type VolumeRow = {
  readonly origin: number;
  readonly destination: number;
  readonly vehicles: number;
};

/**
 * Reads table rows as typed rows: the Table codec returns plain rows.
 *
 * @example
 * ```ts
 * import { rowsAs, type ZoneRow } from "./rows.ts"
 *
 * const zones = rowsAs<ZoneRow>([{ zone: 1, position: 0, population: 1, employment: 1, parking_cost: 0 }])
 * ```
 */
export const rowsAs = <T>(rows: readonly object[]): readonly T[] => rows as readonly T[];
