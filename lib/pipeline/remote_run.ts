/**
 * What a process that runs invocations another process keyed (a pool worker, a
 * cluster runner) does before and after it runs one: import the step's defining
 * module once (its declarations register their steps), check that the declaration
 * found at the address gives the invocation's key here — so no run is ever recorded
 * under a key computed from other code or config — set the declared environment as the
 * invoking process had it, and turn whatever escaped the run into a pipeline error.
 *
 * @module
 */
import * as Cause from "effect/Cause";
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import { toFileUrl } from "../identity/paths.ts";
import type { StepInvocation } from "../model/step_invocation.ts";
import { PipelineError, pipelineError, StepFailed } from "./errors.ts";
import type { PipelineApi } from "./pipeline_api.ts";
import { findStep } from "./registry.ts";

const modules = new Map<string, Promise<string | undefined>>();

/** Imports a defining module once; resolves to the reason it cannot be, or undefined. */
export const importOnce = (module: string): Promise<string | undefined> => {
  let loading = modules.get(module);
  if (!loading) {
    loading = import(toFileUrl(module)).then(
      () => undefined,
      (e) => `importing ${module} failed: ${e instanceof Error ? e.message : String(e)}`,
    );
    modules.set(module, loading);
  }
  return loading;
};

/** The reason this process must not run the invocation, or undefined. */
export const refusal = (
  invocation: StepInvocation,
  pipeline: PipelineApi,
): Effect.Effect<string | undefined> => {
  const definition = findStep(invocation);
  if (!definition) {
    return Effect.succeed(
      `no step is declared at ${invocation.address} once its module is imported here`,
    );
  }
  // A command is prepared here to compare its command line, sources and tools with the
  // keyed ones (the prepared body is kept for the run that follows).
  if (definition.prepare) {
    return definition.check ? definition.check(invocation, pipeline) : Effect.succeed(undefined);
  }
  if (!definition.keyFor) {
    return Effect.succeed(`the step at ${invocation.address} cannot say its key here`);
  }
  const here = definition.keyFor(invocation);
  return Effect.succeed(
    here.key === invocation.key ? undefined : `its key here differs (${here.difference})`,
  );
};

/**
 * Sets the declared environment variables as the invoking process had them when it
 * keyed the invocation.
 */
export const applyEnv = (invocation: StepInvocation): void => {
  const env = invocation.components.env;
  if (typeof env !== "object" || env === null) return;
  for (const [name, value] of Object.entries(env as Record<string, unknown>)) {
    if (typeof value === "string") Deno.env.set(name, value);
    else Deno.env.delete(name);
  }
};

/**
 * The pipeline error a failed run ended with; anything else that escaped it (a defect)
 * is reported as the step's failure.
 */
export const failureOf = (
  invocation: StepInvocation,
  exit: Exit.Exit<unknown, unknown>,
): PipelineError => {
  const error = Exit.findErrorOption(exit);
  if (error._tag === "Some" && error.value instanceof PipelineError) return error.value;
  return pipelineError(
    new StepFailed({
      step: invocation.step,
      iteration: invocation.iteration,
      scenario: invocation.scenario,
      cause: new Error(
        Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "the step ended without a result",
      ),
    }),
  );
};
