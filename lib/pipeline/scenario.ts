/**
 * `scenario`: one named execution of a program. Its record lists every step
 * invocation in order (step, iteration, run record, hit or miss, duration), its
 * config, tags and facets, its status, and points at the previous record of the
 * same name — a history like commits. `refs/scenarios/<name>` names the newest.
 *
 * The record is written however the program ends — success, failure or
 * interruption — so the steps that completed stay cached and the next run resumes.
 * A program that succeeded but whose record cannot be written (a full disk) fails
 * with `ScenarioNotRecorded`: its run is not in the history, and must not look done.
 *
 * @module
 */
import * as Cause from "effect/Cause";
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import * as Schedule from "effect/Schedule";
import { hostname } from "node:os";
import { refNameProblem } from "../../store/refs.ts";
import { IoFailure, RefConflict, type StoreError, storeError } from "../../store/errors.ts";
import { canonicalConfig } from "../model/canonical_config.ts";
import {
  ConfigNotCanonical,
  InvalidStep,
  type PipelineError,
  pipelineError,
  ScenarioNotRecorded,
} from "./errors.ts";
import { encodeScenarioRecord } from "../model/scenario_record.ts";
import { CurrentScenario, Pipeline, type ScenarioState } from "./pipeline.ts";
import { requireEffect } from "./effect_version.ts";

/** Options of a scenario. */
export interface ScenarioOptions {
  /** The scenario's configuration (recorded; steps hash their own configs). */
  readonly config?: unknown;
  /** Labels recorded with the scenario (for `runs --tag`). */
  readonly tags?: readonly string[];
  /** Config keys indexed for queries (`n_iterations`, `mode.beta`). */
  readonly facets?: readonly string[];
}

// 1, 2, 4, 8, then 10 ms between attempts, each ±20 %.
const CONFLICT_BACKOFF = Schedule.jittered(
  Schedule.min([Schedule.exponential("1 millis"), Schedule.spaced("10 millis")]),
);

// How long an interrupted run waits to write its scenario record.
const INTERRUPTED_RECORD_WAIT = "3 seconds";

const lockedOut = (root: string) =>
  storeError(
    new IoFailure({
      op: "write the record of the interrupted scenario into",
      path: root,
      cause: new Error(
        `a gc in another process still holds the store's lock after ${INTERRUPTED_RECORD_WAIT}`,
      ),
    }),
  );

const facetValue = (config: unknown, path: string): unknown =>
  path.split(".").reduce<unknown>(
    (v, k) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined),
    config,
  );

/**
 * Runs `program` as the scenario `name` and records it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict"
 * import { Effect } from "effect"
 * import { Pipeline, scenario } from "cairn"
 *
 * const baseline = scenario("baseline", { config: { n: 10 }, facets: ["n"] }, Effect.succeed(42))
 * const recorded = await Effect.runPromise(
 *   Effect.gen(function* () {
 *     assert.equal(yield* baseline, 42)
 *     const { store } = yield* Pipeline
 *     return yield* store.readRecord((yield* store.readRef("scenarios/baseline"))!)
 *   }).pipe(Effect.provide(Pipeline.layerTemp)),
 * )
 * assert.equal(recorded.status, "ok")
 * assert.deepEqual(recorded.facets, { n: 10 })
 * ```
 */
export const scenario = <A, E, R>(
  name: string,
  options: ScenarioOptions,
  program: Effect.Effect<A, E, R>,
): Effect.Effect<A, E | PipelineError, R | Pipeline> =>
  recordScenario(name, options, requireEffect(program, `the program of scenario "${name}"`), {
    id: null,
  });

/** What {@linkcode scenarioRecorded} returns. */
export interface ScenarioRecorded<A> {
  /** The program's value. */
  readonly value: A;
  /**
   * The id of the scenario record this execution wrote (its invocations, hits and
   * misses). Unlike the newest record under `refs/scenarios/<name>`, it cannot be
   * another process's. (A record that cannot be written fails the program.)
   */
  readonly record: string | null;
}

/**
 * {@linkcode scenario}, returning also the id of the record this execution wrote.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict"
 * import { Effect } from "effect"
 * import { Pipeline, scenarioRecorded } from "cairn"
 *
 * const { value, record } = await Effect.runPromise(
 *   scenarioRecorded("baseline", {}, Effect.succeed(42)).pipe(Effect.provide(Pipeline.layerTemp)),
 * )
 * assert.equal(value, 42)
 * assert.match(record!, /^[0-9a-f]{64}$/)
 * ```
 */
export const scenarioRecorded = <A, E, R>(
  name: string,
  options: ScenarioOptions,
  program: Effect.Effect<A, E, R>,
): Effect.Effect<ScenarioRecorded<A>, E | PipelineError, R | Pipeline> =>
  Effect.suspend(() => {
    const written: { id: string | null } = { id: null };
    return Effect.map(
      recordScenario(name, options, program, written),
      (value) => ({ value, record: written.id }),
    );
  });

const recordScenario = <A, E, R>(
  name: string,
  options: ScenarioOptions,
  program: Effect.Effect<A, E, R>,
  written: { id: string | null },
): Effect.Effect<A, E | PipelineError, R | Pipeline> =>
  Effect.gen(function* () {
    const problem = refNameProblem(`scenarios/${name}`);
    if (problem) {
      return yield* Effect.fail(
        pipelineError(
          new InvalidStep({ step: `scenario ${name}`, detail: `bad scenario name: ${problem}` }),
        ),
      );
    }
    const config = yield* Effect.try({
      try: () => canonicalConfig(options.config ?? null, "scenario.config"),
      // Anything else thrown is still reported as this config's problem, typed.
      catch: (e) =>
        pipelineError(
          e instanceof ConfigNotCanonical ? e : new ConfigNotCanonical({
            path: "scenario.config",
            detail: e instanceof Error ? e.message : String(e),
          }),
        ),
    });
    const pipeline = yield* Pipeline;
    const state: ScenarioState = { name, invocations: [], loops: [] };
    const startedAt = new Date();
    const t0 = performance.now();
    // Why the record could not be written, if it could not: a program that succeeded
    // then fails with it (exit non-zero), one that failed keeps its own error.
    let notRecorded: StoreError | undefined;
    return yield* Effect.provideService(program, CurrentScenario, state).pipe(
      Effect.onExit((exit) =>
        Effect.gen(function* () {
          const status = Exit.isSuccess(exit)
            ? "ok"
            : Cause.hasInterruptsOnly(exit.cause)
            ? "interrupted"
            : "failed";
          const facets = Object.fromEntries(
            (options.facets ?? []).map((
              f,
            ) => [f, canonicalConfig(facetValue(options.config, f) ?? null, f)]),
          );
          const runs = state.invocations.flatMap((i) => (i.run ? [i.run] : []));
          // A failed command's logs are kept by the record that lists it.
          const logs = state.invocations.flatMap((
            i,
          ) => (i.logs ? [i.logs.stdout, i.logs.stderr] : []));
          const write = Effect.gen(function* () {
            const parent = yield* pipeline.store.readRef(`scenarios/${name}`);
            const record = yield* pipeline.store.putRecord(encodeScenarioRecord({
              type: "scenario",
              name,
              status,
              config,
              tags: [...(options.tags ?? [])],
              facets,
              invocations: state.invocations.map((i) => ({
                step: i.step,
                iteration: i.iteration,
                run: i.run,
                hit: i.hit,
                durationMs: Math.round(i.durationMs * 1000) / 1000,
                status: i.status,
                ...(i.error ? { error: i.error } : {}),
                ...(i.logs ? { logs: { stdout: i.logs.stdout, stderr: i.logs.stderr } } : {}),
              })),
              ...(state.loops.length > 0 ? { loops: state.loops.map((l) => ({ ...l })) } : {}),
              parent,
              startedAt: startedAt.toISOString(),
              endedAt: new Date().toISOString(),
              durationMs: Math.round(performance.now() - t0),
              host: hostname(),
              links: [...new Set([...runs, ...logs, ...(parent ? [parent] : [])])].sort(),
            }));
            yield* pipeline.store.updateRef(`scenarios/${name}`, record.id, {
              expected: parent,
              message: `scenario ${name}: ${status}`,
            });
            return record.id;
          });
          // Another process may finish the same scenario at the same moment: re-read the
          // parent and retry. Every conflict means another record went in, so retrying makes
          // progress; a short random pause spreads contenders out. (20 immediate retries
          // lost about one record in 1,600 with 16 processes finishing scenarios at once.)
          const recorded = write.pipe(
            Effect.retry({
              while: (e: StoreError) => e.reason instanceof RefConflict,
              schedule: CONFLICT_BACKOFF,
              times: 200,
            }),
          );
          // An interrupted run (Ctrl-C, SIGTERM) must end soon even when a gc in another
          // process holds the store's lock: it waits for it a few seconds, then goes without
          // its record (the completed steps are cached all the same).
          written.id = yield* (status === "interrupted"
            ? Effect.interruptible(recorded).pipe(
              Effect.timeoutOrElse({
                duration: INTERRUPTED_RECORD_WAIT,
                orElse: () => Effect.fail(lockedOut(pipeline.store.root)),
              }),
            )
            : recorded).pipe(
              Effect.catch((e) =>
                Effect.sync(() => {
                  notRecorded = e;
                  if (!Exit.isSuccess(exit)) {
                    pipeline.progress.log(
                      `[cairn] could not record scenario ${name}: ${e.message}`,
                    );
                  }
                  return null;
                })
              ),
            );
          // With a remote cache the record and its ref go up too, after its runs.
          if (written.id !== null && pipeline.remote) {
            yield* pipeline.remote.recorded(
              name,
              written.id,
              `scenario ${name}: ${status} on ${hostname()}`,
            );
          }
          const hits = state.invocations.filter((i) => i.hit).length;
          pipeline.progress.scenarioFinished(
            name,
            notRecorded === undefined ? status : `${status}, not recorded`,
            hits,
            state.invocations.length - hits,
            performance.now() - t0,
          );
        }).pipe(Effect.uninterruptible)
      ),
      Effect.flatMap((value) =>
        notRecorded === undefined ? Effect.succeed(value) : Effect.fail(
          pipelineError(new ScenarioNotRecorded({ scenario: name, cause: notRecorded })),
        )
      ),
    );
  });
