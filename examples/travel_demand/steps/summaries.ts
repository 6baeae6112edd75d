/**
 * `summaries` (after the loop): mode shares, VMT and person miles by mode per
 * iteration as tables, and their plots as SVG files in a directory. It reads the
 * choices of every iteration, so its inputs depend on the number of iterations:
 * `summaries(n)` declares (once per n) the step taking `choices_0 … choices_{n-1}`.
 *
 * @module
 */
import { Dir, type Step, step, Table, type TableValue, type ValueCodec } from "../../../mod.ts";
import { DEFAULT_CONFIG } from "../config.ts";
import { distanceMatrixOf } from "../model/land_use.ts";
import { type ChoiceRow, type DistanceRow, rowsAs } from "../model/rows.ts";
import { iterationMiles, modeShareRows } from "../model/summaries.ts";
import { milesPlot, modeSharePlot } from "../plots.ts";

type SummaryInputs = Record<string, ValueCodec<TableValue>>;
type SummaryOutputs = { mode_shares: typeof Table; miles: typeof Table; plots: typeof Dir };

/** The input name of iteration i's choices. */
export const choicesInput = (i: number): string => `choices_${i}`;

const declared = new Map<number, Step<SummaryInputs, SummaryOutputs>>();

const declare = (inputs: SummaryInputs) =>
  step({
    name: "summaries",
    inputs,
    outputs: { mode_shares: Table, miles: Table, plots: Dir },
    config: {
      residentsPerPerson: DEFAULT_CONFIG.zone.residentsPerPerson,
      personsPerCar: DEFAULT_CONFIG.assignment.personsPerCar,
    },
    // Rendering is asynchronous (vega); a rejected promise is the step's failure.
    run: async (decoded, config, ctx) => {
      const miles = distanceMatrixOf(rowsAs<DistanceRow>(decoded.distances!));
      const choices = Object.keys(decoded)
        .filter((k) => k.startsWith("choices_"))
        .sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)))
        .map((k) => rowsAs<ChoiceRow>(decoded[k]!));
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

/**
 * The `summaries` step over `iterations` iterations' choices (plus `distances`).
 *
 * @example
 * ```ts
 * import { summaries } from "./summaries.ts"
 *
 * summaries(10).stepName // "summaries"
 * ```
 */
export const summaries = (iterations: number): Step<SummaryInputs, SummaryOutputs> => {
  let known = declared.get(iterations);
  if (!known) {
    const inputs: SummaryInputs = { distances: Table };
    for (let i = 0; i < iterations; i++) inputs[choicesInput(i)] = Table;
    known = declare(inputs);
    declared.set(iterations, known);
  }
  return known;
};
