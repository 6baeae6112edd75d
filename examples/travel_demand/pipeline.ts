/**
 * The travel-demand pipeline: `init`, then per iteration logsums → trip
 * distribution → utilities → mode choice → assignment → traffic simulation (whose
 * skims feed the next iteration), then `summaries` over every iteration.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import {
  type Artifact,
  InvalidStep,
  iterate,
  type Pipeline,
  type PipelineError,
  pipelineError,
  scenario,
  type TableValue,
} from "../../mod.ts";
import { DEFAULT_CONFIG } from "./config.ts";
import { assignment } from "./steps/assignment.ts";
import { init } from "./steps/init.ts";
import { logsums } from "./steps/logsums.ts";
import { modeChoice } from "./steps/mode_choice.ts";
import { summaries } from "./steps/summaries.ts";
import { trafficSimulation } from "./steps/traffic_simulation.ts";
import { tripDistribution } from "./steps/trip_distribution.ts";
import { utilities } from "./steps/utilities.ts";

/** The artifacts a run of the model ends with. */
export interface TravelDemandOutputs {
  readonly zones: Artifact<TableValue>;
  readonly persons: Artifact<TableValue>;
  readonly distances: Artifact<TableValue>;
  /** The skims (a zarr directory) after the last iteration's traffic simulation. */
  readonly skims: Artifact<string>;
  readonly trips: Artifact<TableValue>;
  /** Each iteration's mode choices. */
  readonly choices: readonly Artifact<TableValue>[];
  readonly modeShares: Artifact<TableValue>;
  readonly miles: Artifact<TableValue>;
  /** A directory of SVG plots. */
  readonly plots: Artifact<string>;
}

interface LoopState {
  readonly skims: Artifact<string>;
  readonly trips: Artifact<TableValue> | undefined;
  readonly choices: readonly Artifact<TableValue>[];
}

/**
 * The model run for `iterations` iterations (at least 1; fewer fails with `InvalidStep`).
 *
 * @example
 * ```ts
 * import { run } from "../../mod.ts"
 * import { travelDemand } from "./pipeline.ts"
 *
 * const outputs = () => run(travelDemand(3))
 * ```
 */
export const travelDemand = (
  iterations: number,
): Effect.Effect<TravelDemandOutputs, PipelineError, Pipeline> =>
  Effect.gen(function* () {
    if (!Number.isInteger(iterations) || iterations < 1) {
      return yield* Effect.fail(pipelineError(
        new InvalidStep({
          step: "travel_demand",
          detail: `it needs a whole number of iterations, at least 1; got ${iterations}`,
        }),
      ));
    }
    const { zones, persons, distances, skims } = yield* init({});
    const start: LoopState = { skims, trips: undefined, choices: [] };
    const end = yield* iterate({ times: iterations }, start, (state) =>
      Effect.gen(function* () {
        const ls = yield* logsums({ skims: state.skims, zones });
        const { trips } = yield* tripDistribution({
          logsums: ls.logsums,
          zones,
          persons,
          previous: state.trips,
        });
        const u = yield* utilities({ trips, persons, zones, skims: state.skims });
        const { choices } = yield* modeChoice({ utilities: u.utilities });
        const { volumes } = yield* assignment({ choices, zones });
        const next = yield* trafficSimulation({ skims: state.skims, volumes, zones });
        return { skims: next.skims, trips, choices: [...state.choices, choices] };
      }));
    const summary = yield* summaries({ distances, choices: end.choices });
    return {
      zones,
      persons,
      distances,
      skims: end.skims,
      trips: end.trips!,
      choices: end.choices,
      modeShares: summary.mode_shares,
      miles: summary.miles,
      plots: summary.plots,
    };
  });

/**
 * The model as a recorded scenario: `name` with `iterations` in its config and
 * as a facet (`cairn runs --facet iterations=10`).
 *
 * @example
 * ```ts
 * import { run } from "../../mod.ts"
 * import { travelDemandScenario } from "./pipeline.ts"
 *
 * const baseline = () => run(travelDemandScenario("baseline", 10))
 * ```
 */
export const travelDemandScenario = (
  name: string,
  iterations: number,
): Effect.Effect<TravelDemandOutputs, PipelineError, Pipeline> =>
  scenario(
    name,
    {
      config: { iterations, seed: DEFAULT_CONFIG.seed },
      tags: ["travel_demand"],
      facets: ["iterations"],
    },
    travelDemand(iterations),
  );
