/**
 * `trip_distribution` (each iteration): destinations by logsum and zone size. In
 * iteration 0 every person chooses; later, a share of the previous iteration's
 * trips choose again. Draws come from the stream seeded by seed + iteration.
 *
 * @module
 */
import { optional, step, Table } from "../../../mod.ts";
import { DEFAULT_CONFIG } from "../config.ts";
import { destinationProbabilities, distributeTrips } from "../model/destination_choice.ts";
import {
  type LogsumRow,
  type PersonRow,
  rowsAs,
  type TripRow,
  type ZoneRow,
} from "../model/rows.ts";
import { streamRng } from "../rng.ts";

/**
 * The `trip_distribution` step.
 *
 * @example
 * ```ts
 * import { tripDistribution } from "./trip_distribution.ts"
 *
 * tripDistribution.stepName // "trip_distribution"
 * ```
 */
export const tripDistribution = step({
  name: "trip_distribution",
  inputs: { logsums: Table, zones: Table, persons: Table, previous: optional(Table) },
  outputs: { trips: Table },
  config: { seed: DEFAULT_CONFIG.seed, ...DEFAULT_CONFIG.destinationChoice },
  run: ({ logsums, zones, persons, previous }, config, ctx) => {
    const odds = destinationProbabilities(
      rowsAs<LogsumRow>(logsums),
      rowsAs<ZoneRow>(zones),
      config,
    );
    const rng = streamRng(config.seed + (ctx.iteration ?? 0), "trip_distribution");
    const before = previous ? rowsAs<TripRow>(previous) : undefined;
    return { trips: distributeTrips(rowsAs<PersonRow>(persons), before, odds, config, rng) };
  },
});
