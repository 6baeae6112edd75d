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
  type IterateOptions,
  Json,
  Pipeline,
  type PipelineError,
  read,
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

/** Run blocks until the mean of `x0` over a block moves less than `tolerance` from the previous block's (at most `max`). */
export interface Settle {
  readonly max: number;
  readonly tolerance: number;
}

interface ChainState {
  readonly state: Artifact;
  readonly samples: Artifact<TableValue>[];
}

// The mean of x0 over the newest block of samples.
const lastBlockMean = (s: ChainState) =>
  Effect.map(
    read(s.samples[s.samples.length - 1]!),
    (rows) => rows.reduce((sum, r) => sum + Number(r.x0), 0) / rows.length,
  );

// A fixed number of blocks, or until the block means settle.
const loopOf = (blocks: number | Settle): IterateOptions<ChainState, PipelineError, Pipeline> =>
  typeof blocks === "number" ? { times: blocks } : {
    max: blocks.max,
    until: (previous, next) =>
      previous.samples.length === 0 ? Effect.succeed(false) : Effect.gen(function* () {
        const before = yield* lastBlockMean(previous);
        const after = yield* lastBlockMean(next);
        return Math.abs(after - before) < blocks.tolerance;
      }),
  };

/**
 * Runs the chain for `blocks` blocks — or until the block means settle (`{ max,
 * tolerance }`: `iterate` with `until`) — as scenario `mcmc` and reads back its record.
 *
 * @example
 * ```ts ignore
 * import { run } from "../../mod.ts"
 * const ten = await run(runChain(10))
 * ```
 */
export const runChain = (
  blocks: number | Settle,
): Effect.Effect<ChainRun, PipelineError | StoreError, Pipeline> =>
  Effect.gen(function* () {
    const { value: result, record: recordId } = yield* scenarioRecorded(
      SCENARIO,
      {
        config: { blocks: typeof blocks === "number" ? blocks : { ...blocks }, ...settings },
        tags: ["example"],
        facets: ["blocks"],
      },
      Effect.gen(function* () {
        const start = yield* init({});
        const chain = yield* iterate(
          loopOf(blocks),
          { state: start.state, samples: [] } as ChainState,
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
