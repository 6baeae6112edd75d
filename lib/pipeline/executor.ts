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
 * import { Effect, Layer } from "effect"
 * import { Executor } from "./executor.ts"
 *
 * // An executor that refuses everything (a real one runs the invocation somewhere).
 * const refusing = Layer.succeed(Executor, {
 *   name: "refusing",
 *   execute: () => Effect.die("not here"),
 * })
 * ```
 */
export class Executor extends Context.Service<Executor, ExecutorApi>()("cairn/Executor") {}
