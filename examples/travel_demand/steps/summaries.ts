/**
 * `summaries` (after the loop): mode shares, VMT and person miles by mode per
 * iteration as tables, and their plots as SVG files in a directory. It reads the
 * choices of every iteration: one list input, `choices` (lineage names its elements
 * `choices[0]`, `choices[1]`, …), so one declaration serves any number of iterations.
 *
 * @module
 */
import { Dir, list, step, Table } from "../../../mod.ts";
import { DEFAULT_CONFIG } from "../config.ts";
import { distanceMatrixOf } from "../model/land_use.ts";
import { type ChoiceRow, type DistanceRow, rowsAs } from "../model/rows.ts";
import { iterationMiles, modeShareRows } from "../model/summaries.ts";
import { milesPlot, modeSharePlot } from "../plots.ts";

/**
 * The `summaries` step over every iteration's choices (plus `distances`).
 *
 * @example
 * ```ts
 * import { summaries } from "./summaries.ts"
 *
 * summaries.stepName // "summaries"
 * ```
 */
export const summaries = step({
  name: "summaries",
  inputs: { distances: Table, choices: list(Table) },
  outputs: { mode_shares: Table, miles: Table, plots: Dir },
  config: {
    residentsPerPerson: DEFAULT_CONFIG.zone.residentsPerPerson,
    personsPerCar: DEFAULT_CONFIG.assignment.personsPerCar,
  },
  // Rendering is asynchronous (vega); a rejected promise is the step's failure.
  run: async (decoded, config, ctx) => {
    const miles = distanceMatrixOf(rowsAs<DistanceRow>(decoded.distances));
    const choices = decoded.choices.map((c) => rowsAs<ChoiceRow>(c));
    const shares = modeShareRows(choices);
    const perIteration = choices.map((c, i) =>
      iterationMiles(i, c, miles, config.residentsPerPerson, config.personsPerCar)
    );
    const dir = `${ctx.outDir}/plots`;
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(`${dir}/mode_shares.svg`, await modeSharePlot(shares));
    await Deno.writeTextFile(`${dir}/miles.svg`, await milesPlot(perIteration));
    return { mode_shares: [...shares], miles: [...perIteration] };
  },
});
