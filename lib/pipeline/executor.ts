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
import * as Effect from "effect/Effect";
import type { ExecutionResult, StepInvocation } from "../model/step_invocation.ts";
import { InvalidStep, type PipelineError, pipelineError } from "./errors.ts";

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

/**
 * Why an executor outside this process cannot run a step made at run time, and how
 * to declare it so that it can.
 */
export const noAddress = (step: string, executor: string): PipelineError =>
  pipelineError(
    new InvalidStep({
      step,
      detail: `it was made at run time (inside a function or a loop), so it has no address ` +
        `by which the ${executor} executor can find it in another process; declare it at module ` +
        `level (\`export const ${identifierOf(step)} = step({ ... })\` in a module the pipeline ` +
        "imports), or run it with the in-process executor",
    }),
  );

// A binding name suggested for a step name ("trip.distribution" → "tripDistribution").
const identifierOf = (step: string): string => {
  const words = step.split(/[^A-Za-z0-9_$]+/).filter((w) => w.length > 0);
  const name = words.map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join("");
  return /^[A-Za-z_$]/.test(name) ? name : `step${name === "" ? "" : "_" + name}`;
};

/**
 * The invocation's step address, or a failure saying how to give the step one: what an
 * executor that runs steps in other processes checks before it sends an invocation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict"
 * import { Effect } from "effect"
 * import { requireAddress } from "cairn"
 *
 * const invocation = { step: "late", address: null }
 * const exit = Effect.runSyncExit(requireAddress(invocation, "workers(4)"))
 * assert.equal(exit._tag, "Failure")
 * assert.equal(
 *   Effect.runSync(requireAddress({ step: "seed", address: "steps.ts#seed" }, "workers(4)")),
 *   "steps.ts#seed",
 * )
 * ```
 */
export const requireAddress = (
  invocation: Pick<StepInvocation, "step" | "address">,
  executor: string,
): Effect.Effect<string, PipelineError> =>
  invocation.address === null
    ? Effect.fail(noAddress(invocation.step, executor))
    : Effect.succeed(invocation.address);
