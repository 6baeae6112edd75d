/**
 * `run`: the entry point of a pipeline script. Provides the interpreter over the
 * store (`./.cairn` unless told otherwise), turns Ctrl-C (SIGINT) and SIGTERM — what
 * Slurm, Kubernetes and `timeout` send — into an orderly interruption (the scenario
 * is recorded as interrupted, the writer session ends, completed steps stay cached;
 * exit status 130 or 143), and on failure prints one clear message and exits with
 * status 1.
 *
 * @module
 */
import * as Cause from "effect/Cause";
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import { notAnEffect } from "./effect_version.ts";
import { SweepFailed } from "./sweep.ts";
import { Pipeline, type PipelineOptions } from "./pipeline.ts";
import { workers } from "./workers/pool.ts";
import { IN_WORKER } from "./workers/protocol.ts";

// `CAIRN_WORKERS=N` (N > 0) for a script that does not say: a pool of N workers.
const executorFromEnv = () => {
  const n = Number(Deno.env.get("CAIRN_WORKERS") ?? "");
  return Number.isInteger(n) && n > 0 ? workers({ size: n }) : undefined;
};

// Signals that stop a run in order: Ctrl-C, and what batch systems send first.
const SIGNALS: readonly Deno.Signal[] = ["SIGINT", "SIGTERM"];

/** Options of {@linkcode run}. */
export interface RunOptions extends PipelineOptions {
  /** Exit the process with status 1 on failure (default true); false rejects instead. */
  readonly exitOnFailure?: boolean;
}

/**
 * Runs a pipeline program.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict"
 * import { Effect } from "effect"
 * import { run } from "cairn"
 *
 * const root = `${Deno.makeTempDirSync()}/store`
 * // A pipeline script ends with `if (import.meta.main) await run(program)`.
 * assert.equal(await run(Effect.succeed("done"), { root, exitOnFailure: false }), "done")
 * ```
 */
export const run = async <A, E>(
  program: Effect.Effect<A, E, Pipeline>,
  options: RunOptions = {},
): Promise<A> => {
  if ((globalThis as Record<symbol, unknown>)[IN_WORKER]) {
    throw new Error(
      "this module runs a pipeline when it is imported (run() at its top level), and a cairn worker imported it to find its steps; guard the call with `if (import.meta.main) { … }`, or declare the steps in a module of their own",
    );
  }
  const problem = notAnEffect(program, "the program given to run()");
  if (problem !== undefined) {
    if (options.exitOnFailure === false) throw new TypeError(problem);
    console.error(`error: ${problem}`);
    Deno.exit(2);
  }
  const controller = new AbortController();
  let signal: Deno.Signal | undefined;
  const listeners = SIGNALS.map((name) => {
    const listener = () => {
      signal ??= name;
      controller.abort();
    };
    Deno.addSignalListener(name, listener);
    return [name, listener] as const;
  });
  let exit: Exit.Exit<A, unknown>;
  try {
    const executor = options.executor ?? executorFromEnv();
    const layer = Pipeline.layerDisk(executor ? { ...options, executor } : options);
    exit = await Effect.runPromiseExit(program.pipe(Effect.provide(layer)), {
      signal: controller.signal,
    });
  } finally {
    for (const [name, listener] of listeners) Deno.removeSignalListener(name, listener);
  }
  if (Exit.isSuccess(exit)) return exit.value;
  const interrupted = Cause.hasInterruptsOnly(exit.cause);
  const error = Cause.squash(exit.cause);
  const message = interrupted
    ? "interrupted; completed steps are cached — run again to resume"
    : error instanceof Error
    ? error.message
    : String(error);
  if (options.exitOnFailure === false) throw error instanceof Error ? error : new Error(message);
  console.error(`error: ${message}`);
  if (!interrupted && !(error instanceof Error && "_tag" in error)) {
    console.error(Cause.pretty(exit.cause));
  } else if (!interrupted && Deno.env.get("CAIRN_DEBUG")) {
    // Under CAIRN_DEBUG, where the step's own exception was thrown (in a worker too:
    // its stack travels with it).
    for (const thrown of thrownBy(error)) if (thrown.stack) console.error(thrown.stack);
  }
  Deno.exit(interrupted ? (signal === "SIGTERM" ? 143 : 130) : 1);
};

// The exceptions steps threw, inside the pipeline error that carries one, or inside
// each failure of a sweep.
const thrownBy = (error: unknown, depth = 0): Error[] => {
  if (depth > 5 || typeof error !== "object" || error === null) return [];
  if (error instanceof SweepFailed) {
    return error.failures.flatMap((f) => thrownBy(f.error, depth + 1));
  }
  const cause = (error as { readonly reason?: { readonly cause?: unknown } }).reason?.cause;
  return cause instanceof Error ? [cause] : [];
};
