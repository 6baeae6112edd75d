/**
 * `logsums` (each iteration): mode-choice logsums per origin–destination pair
 * from the iteration's skims and the zones' parking costs.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { Dir, step, Table } from "../../../mod.ts";
import { DEFAULT_CONFIG } from "../config.ts";
import { odLogsums } from "../model/logsums.ts";
import { rowsAs, type ZoneRow } from "../model/rows.ts";
import { readSkims } from "../zarr_skims.ts";

/**
 * The `logsums` step.
 *
 * @example
 * ```ts
 * import { logsums } from "./logsums.ts"
 *
 * logsums.stepName // "logsums"
 * ```
 */
export const logsums = step({
  name: "logsums",
  inputs: { skims: Dir, zones: Table },
  outputs: { logsums: Table },
  config: DEFAULT_CONFIG.modeChoice,
  run: ({ skims, zones }, config) =>
    readSkims(skims).pipe(
      Effect.map((s) => ({ logsums: odLogsums(s, rowsAs<ZoneRow>(zones), config) })),
    ),
});
