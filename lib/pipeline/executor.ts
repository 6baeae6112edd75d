/**
 * The Executor: what runs a step invocation that missed the cache. The interpreter
 * hands it a serialisable {@linkcode StepInvocation} and gets back the run record's id
 * and the outputs; it never hands over the pipeline service or a closure, so an
 * executor may run the step in another process or on another machine.
 *
 * The default, {@linkcode inProcess}, runs it here, as a plain call. Another executor is
 * chosen by providing the `Executor` service to `Pipeline.layer`.
 *
 * @module
 */
import * as Context from "effect/Context";
import type * as Effect from "effect/Effect";
import type { ExecutionResult, StepInvocation } from "../model/step_invocation.ts";
import type { PipelineError } from "./errors.ts";

export type { ExecutionResult, StepInvocation };

/** An executor. */
export interface ExecutorApi {
  /** Names it in messages (`in-process`, `workers(4)`). */
  readonly name: string;
  /** Runs the invocation, ingests its outputs and records the run. */
  readonly execute: (invocation: StepInvocation) => Effect.Effect<ExecutionResult, PipelineError>;
}

/**
 * The executor service. Absent from the context, the interpreter runs misses in
 * process.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict"
 * import { Effect, Layer } from "effect"
 * import { Executor, Json, ObjectStore, Pipeline, step } from "cairn"
 *
 * // An executor that refuses everything (a real one runs the invocation somewhere).
 * const refusing = Layer.succeed(Executor, {
 *   name: "refusing",
 *   execute: (invocation) => Effect.die(`not here: ${invocation.step}`),
 * })
 * const seed = step({ name: "seed", outputs: { x: Json }, run: () => ({ x: 1 }) })
 * const layer = Pipeline.layer().pipe(Layer.provide(refusing), Layer.provide(ObjectStore.layerTemp))
 * const exit = await Effect.runPromiseExit(seed({}).pipe(Effect.provide(layer)))
 * assert.equal(exit._tag, "Failure") // the miss went to the refusing executor
 * ```
 */
export class Executor extends Context.Service<Executor, ExecutorApi>()("cairn/Executor") {}
