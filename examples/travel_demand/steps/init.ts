/**
 * `init` (before the loop): zones, persons and distances as tables, and the
 * free-flow skims (car times perturbed by `network.carTimeFactor`) as a zarr
 * directory.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { Dir, step, Table } from "../../../mod.ts";
import { DEFAULT_CONFIG } from "../config.ts";
import { distanceRows, personRows, zoneRows } from "../model/land_use.ts";
import { distanceMatrix, freeFlowSkims } from "../model/skims.ts";
import { writeSkims } from "../zarr_skims.ts";

/**
 * The `init` step.
 *
 * @example
 * ```ts
 * import { init } from "./init.ts"
 *
 * const program = init({}) // { zones, persons, distances, skims }
 * ```
 */
export const init = step({
  name: "init",
  outputs: { zones: Table, persons: Table, distances: Table, skims: Dir },
  config: {
    seed: DEFAULT_CONFIG.seed,
    zone: DEFAULT_CONFIG.zone,
    network: DEFAULT_CONFIG.network,
  },
  run: (_inputs, config, ctx) => {
    const zones = zoneRows(config.zone);
    const miles = distanceMatrix(zones.map((z) => z.position), config.zone.intrazonalMiles);
    return writeSkims(`${ctx.outDir}/skims`, freeFlowSkims(miles, config.network)).pipe(
      Effect.as({
        zones,
        persons: personRows(config.zone, config.seed),
        distances: distanceRows(miles),
      }),
    );
  },
});
