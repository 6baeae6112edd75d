/**
 * `utilities` (each iteration): the utility of every mode for every trip, from
 * the iteration's skims, the destination's parking cost and the person's income.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { Dir, step, Table } from "../../../mod.ts";
import { DEFAULT_CONFIG } from "../config.ts";
import { tripUtilities } from "../model/mode_choice.ts";
import { type PersonRow, rowsAs, type TripRow, type ZoneRow } from "../model/rows.ts";
import { readSkims } from "../zarr_skims.ts";

/**
 * The `utilities` step.
 *
 * @example
 * ```ts
 * import { utilities } from "./utilities.ts"
 *
 * utilities.stepName // "utilities"
 * ```
 */
export const utilities = step({
  name: "utilities",
  inputs: { trips: Table, persons: Table, zones: Table, skims: Dir },
  outputs: { utilities: Table },
  config: DEFAULT_CONFIG.modeChoice,
  run: ({ trips, persons, zones, skims }, config) =>
    readSkims(skims).pipe(
      Effect.map((s) => ({
        utilities: tripUtilities(
          rowsAs<TripRow>(trips),
          rowsAs<PersonRow>(persons),
          rowsAs<ZoneRow>(zones),
          s,
          config,
        ),
      })),
    ),
});
