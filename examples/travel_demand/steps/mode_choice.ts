/**
 * `mode_choice` (each iteration): each trip's mode, drawn from its logit
 * probabilities. Each trip's draw comes from its own stream, seeded by the seed
 * and the trip (common random numbers): between iterations a trip changes mode
 * because its utilities changed, never because the dice were thrown again.
 *
 * @module
 */
import { step, Table } from "../../../mod.ts";
import { DEFAULT_CONFIG } from "../config.ts";
import { chooseModes } from "../model/mode_choice.ts";
import { rowsAs, type UtilityRow } from "../model/rows.ts";
import { streamRng } from "../rng.ts";

/**
 * The `mode_choice` step.
 *
 * @example
 * ```ts
 * import { modeChoice } from "./mode_choice.ts"
 *
 * modeChoice.stepName // "mode_choice"
 * ```
 */
export const modeChoice = step({
  name: "mode_choice",
  inputs: { utilities: Table },
  outputs: { choices: Table },
  config: { seed: DEFAULT_CONFIG.seed },
  run: ({ utilities }, config) => ({
    choices: chooseModes(
      rowsAs<UtilityRow>(utilities),
      (trip) => streamRng(config.seed, `mode_choice:${trip}`).next(),
    ),
  }),
});
