/**
 * `sweep`: one program over many configurations, each a recorded scenario, run at
 * once. Their misses run in parallel as far as the executor allows (the `workers`
 * pool fills the machine's cores), and one scenario's failure does not stop the
 * others: each runs to its end and is recorded, and the sweep then fails naming
 * every scenario that failed.
 *
 * It is `Effect.forEach` over the configurations with `concurrency`, each scenario
 * wrapped in `Effect.result` (Effect 4's name for Effect 3's `Effect.either`), which
 * a program may also write itself.
 *
 * @module
 */
import * as Data from "effect/Data";
import * as Effect from "effect/Effect";
import * as Result from "effect/Result";
import type { PipelineError } from "./errors.ts";
import type { Pipeline } from "./pipeline.ts";
import { scenario } from "./scenario.ts";

/** Options of {@linkcode sweep}. */
export interface SweepOptions {
  /** How many scenarios run at once (default: all of them). */
  readonly concurrency?: number | "unbounded";
  /** Labels recorded with every scenario, besides the sweep's name. */
  readonly tags?: readonly string[];
  /** Config keys indexed for queries (default: the config's keys with scalar values). */
  readonly facets?: readonly string[];
}

/** One failed scenario of a sweep. */
export interface SweepFailure<E> {
  /** The scenario's name (`<sweep>/<label>`). */
  readonly scenario: string;
  /** Why it failed. */
  readonly error: E;
}

/** Some scenarios of a sweep failed; the others ran to their end. */
export class SweepFailed<A, E> extends Data.TaggedError("SweepFailed")<{
  readonly sweep: string;
  /** The failed scenarios, in the order of the configurations. */
  readonly failures: ReadonlyArray<SweepFailure<E>>;
  /** The values of those that succeeded, by label. */
  readonly succeeded: Readonly<Record<string, A>>;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    const total = this.failures.length + Object.keys(this.succeeded).length;
    const each = this.failures.map((f) => `${f.scenario}: ${describe(f.error)}`).join("; ");
    return `Sweep "${this.sweep}": ${this.failures.length} of ${total} scenarios failed — ${each}. ` +
      `The others ran to their end and every scenario is recorded; fix the failures and run ` +
      `the sweep again: completed steps are cached`;
  }
}

const describe = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === "string" ? error : String(error);

const scalarKeys = (config: unknown): string[] =>
  config !== null && typeof config === "object" && !Array.isArray(config)
    ? Object.entries(config).filter(([, v]) =>
      v === null || ["string", "number", "boolean"].includes(typeof v)
    ).map(([k]) => k)
    : [];

/**
 * Runs `program` once per configuration, as scenario `<name>/<label>` (recorded with
 * the config, tagged `name`), all at once; succeeds with each value by label, or,
 * when any failed, fails with {@linkcode SweepFailed} after every scenario has ended.
 * Interrupting the sweep interrupts every scenario (each is recorded as interrupted).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict"
 * import { Effect } from "effect"
 * import { input, Json, Pipeline, step, sweep } from "cairn"
 *
 * export const grow = step({
 *   name: "grow", inputs: { rate: Json }, outputs: { x: Json }, run: ({ rate }) => ({ x: 10 * rate }),
 * })
 * const values = await Effect.runPromise(
 *   sweep("rates", { low: { rate: 1 }, high: { rate: 2 } }, (config) =>
 *     Effect.gen(function* () {
 *       const { x } = yield* grow({ rate: yield* input.value(config.rate) })
 *       const { store } = yield* Pipeline
 *       return Json.decode(yield* store.readBlob(x.id)) as number
 *     })
 *   ).pipe(Effect.provide(Pipeline.layerTemp)),
 * )
 * assert.deepEqual(values, { low: 10, high: 20 })
 * ```
 */
export const sweep = <C, A, E, R>(
  name: string,
  configs: Readonly<Record<string, C>>,
  program: (config: C, scenario: string) => Effect.Effect<A, E, R>,
  options: SweepOptions = {},
): Effect.Effect<
  Readonly<Record<string, A>>,
  SweepFailed<A, E | PipelineError>,
  R | Pipeline
> =>
  Effect.gen(function* () {
    const results = yield* Effect.forEach(
      Object.entries(configs),
      ([label, config]) => {
        const full = `${name}/${label}`;
        return Effect.map(
          Effect.result(scenario(full, {
            config,
            tags: [name, ...(options.tags ?? [])],
            facets: options.facets ?? scalarKeys(config),
          }, Effect.suspend(() => program(config, full)))),
          (result) => ({ label, scenario: full, result }),
        );
      },
      { concurrency: options.concurrency ?? "unbounded" },
    );
    const succeeded: Record<string, A> = {};
    const failures: SweepFailure<E | PipelineError>[] = [];
    for (const { label, scenario, result } of results) {
      if (Result.isSuccess(result)) succeeded[label] = result.success;
      else failures.push({ scenario, error: result.failure });
    }
    if (failures.length > 0) {
      return yield* Effect.fail(new SweepFailed({ sweep: name, failures, succeeded }));
    }
    return succeeded;
  });
