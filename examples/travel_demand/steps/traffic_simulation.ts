/**
 * `traffic_simulation` (each iteration): BPR congestion from the car volumes
 * updates car times; its skims are the next iteration's.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { Dir, step, Table } from "../../../mod.ts";
import { DEFAULT_CONFIG } from "../config.ts";
import { rowsAs, type VolumeRow, type ZoneRow } from "../model/rows.ts";
import { congestedSkims } from "../model/traffic.ts";
import { readSkims, writeSkims } from "../zarr_skims.ts";

/**
 * The `traffic_simulation` step.
 *
 * @example
 * ```ts
 * import { trafficSimulation } from "./traffic_simulation.ts"
 *
 * trafficSimulation.stepName // "traffic_simulation"
 * ```
 */
export const trafficSimulation = step({
  name: "traffic_simulation",
  inputs: { skims: Dir, volumes: Table, zones: Table },
  outputs: { skims: Dir },
  config: { network: DEFAULT_CONFIG.network, assignment: DEFAULT_CONFIG.assignment },
  run: ({ skims, volumes, zones }, config, ctx) =>
    readSkims(skims).pipe(
      Effect.map((s) =>
        congestedSkims(
          s,
          rowsAs<VolumeRow>(volumes),
          rowsAs<ZoneRow>(zones).map((z) => z.position),
          config.network,
          config.assignment,
        )
      ),
      Effect.flatMap((next) => writeSkims(`${ctx.outDir}/skims`, next)),
      Effect.as({}),
    ),
});
