/**
 * `assignment` (each iteration): car trips as vehicles per origin–destination pair.
 *
 * @module
 */
import { step, Table } from "../../../mod.ts";
import { DEFAULT_CONFIG } from "../config.ts";
import { odCarVolumes } from "../model/assignment.ts";
import { type ChoiceRow, rowsAs } from "../model/rows.ts";

/**
 * The `assignment` step.
 *
 * @example
 * ```ts
 * import { assignment } from "./assignment.ts"
 *
 * assignment.stepName // "assignment"
 * ```
 */
export const assignment = step({
  name: "assignment",
  inputs: { choices: Table, zones: Table },
  outputs: { volumes: Table },
  config: {
    residentsPerPerson: DEFAULT_CONFIG.zone.residentsPerPerson,
    personsPerCar: DEFAULT_CONFIG.assignment.personsPerCar,
  },
  run: ({ choices, zones }, config) => ({
    volumes: odCarVolumes(
      rowsAs<ChoiceRow>(choices),
      zones.length,
      config.residentsPerPerson,
      config.personsPerCar,
    ),
  }),
});
