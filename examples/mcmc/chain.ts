/**
 * The chain as a cairn scenario: `init`, then `blocks` iterations of `block`, each
 * fed the previous block's state, then `summary` over every block's samples.
 * Running it with more blocks over the same store reuses the blocks already
 * recorded and runs only the new ones.
 *
 * @module
 */
import { Effect } from "effect";
import {
  type Artifact,
  type Invocation,
  iterate,
  Json,
  Pipeline,
  type PipelineError,
  scenarioRecorded,
  type StoreError,
  type TableValue,
} from "../../mod.ts";
import { block, init, settings, summary } from "./steps.ts";
import type { Summary } from "./summarize.ts";

/** What a run of the chain yields, with the scenario record's list of invocations. */
export interface ChainRun {
  /** The chain state after the last block. */
  readonly state: Artifact;
  /** Each block's samples table, in order. */
  readonly samples: readonly Artifact<TableValue>[];
  readonly summary: Summary;
  readonly summaryArtifact: Artifact;
  /** Every step invocation, in order, as the scenario record lists them (hit or miss). */
  readonly invocations: readonly Invocation[];
}

/** The scenario's name (its records are under `refs/scenarios/mcmc`). */
export const SCENARIO = "mcmc";

/**
 * Runs the chain for `blocks` blocks as scenario `mcmc` and reads back its record.
 *
 * @example
 * ```ts ignore
 * import { run } from "../../mod.ts"
 * const ten = await run(runChain(10))
 * ```
 */
export const runChain = (
  blocks: number,
): Effect.Effect<ChainRun, PipelineError | StoreError, Pipeline> =>
  Effect.gen(function* () {
    const { value: result, record: recordId } = yield* scenarioRecorded(
      SCENARIO,
      { config: { blocks, ...settings }, tags: ["example"], facets: ["blocks"] },
      Effect.gen(function* () {
        const start = yield* init({});
        const chain = yield* iterate(
          { times: blocks },
          { state: start.state, samples: [] as Artifact<TableValue>[] },
          (previous) =>
            Effect.map(block({ state: previous.state }), (next) => ({
              state: next.state,
              samples: [...previous.samples, next.samples],
            })),
        );
        const { summary: report } = yield* summary(chain.samples);
        return { ...chain, summaryArtifact: report };
      }),
    );
    const { store } = yield* Pipeline;
    // This execution's own record (the ref may already name a concurrent run's).
    const record = recordId === null ? { invocations: [] } : yield* store.readRecord(recordId);
    const summaryValue: Summary = Json.decode(yield* store.readBlob(result.summaryArtifact.id));
    return {
      ...result,
      summary: summaryValue,
      invocations: record.invocations as unknown as Invocation[],
    };
  });
