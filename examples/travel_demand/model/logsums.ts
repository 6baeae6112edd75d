/**
 * Mode-choice logsums per origin–destination pair: the accessibility a
 * destination offers by all modes together, which destination choice weighs.
 *
 * @module
 */
import type { ModeChoiceConfig } from "../config.ts";
import { logsum, modeUtilities } from "./logit.ts";
import type { LogsumRow, ZoneRow } from "./rows.ts";
import type { Skims } from "./skims.ts";

/**
 * The logsum of every pair, for a person of the reference income.
 *
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "../config.ts"
 * import { zoneRows } from "./land_use.ts"
 * import { distanceMatrix, freeFlowSkims } from "./skims.ts"
 * import { odLogsums } from "./logsums.ts"
 *
 * const zones = zoneRows(DEFAULT_CONFIG.zone)
 * const skims = freeFlowSkims(distanceMatrix(zones.map((z) => z.position), 0.7), DEFAULT_CONFIG.network)
 * odLogsums(skims, zones, DEFAULT_CONFIG.modeChoice).length // 25
 * ```
 */
export const odLogsums = (
  skims: Skims,
  zones: readonly ZoneRow[],
  config: ModeChoiceConfig,
): LogsumRow[] => {
  const rows: LogsumRow[] = [];
  for (let o = 0; o < skims.zones; o++) {
    for (let d = 0; d < skims.zones; d++) {
      const u = modeUtilities(skims, o, d, zones[d]!.parking_cost, config.referenceIncome, config);
      rows.push({ origin: o + 1, destination: d + 1, logsum: logsum(Object.values(u)) });
    }
  }
  return rows;
};
