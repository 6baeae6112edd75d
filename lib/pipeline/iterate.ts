/**
 * `iterate`: run a body over a state, a fixed number of times or until it
 * converges. Every step invoked inside knows its iteration (it is recorded, and
 * part of the key unless the step is `iterationInvariant`).
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { CurrentIteration, CurrentScenario, Pipeline } from "./pipeline.ts";

/** How many iterations: exactly `times`, or up to `max` until `until` says the state converged. */
export type IterateOptions<S, E, R> =
  | { readonly times: number }
  | {
    readonly max: number;
    /** Called after each iteration with the state before and after it; true stops the loop. */
    readonly until: (
      previous: S,
      next: S,
      iteration: number,
    ) => boolean | Effect.Effect<boolean, E, R>;
  };

/**
 * Runs `body` for iterations 0, 1, … feeding each one's state to the next.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict"
 * import { Effect } from "effect"
 * import { iterate } from "cairn"
 *
 * const final = await Effect.runPromise(iterate({ times: 3 }, 0, (n) => Effect.succeed(n + 1)))
 * assert.equal(final, 3)
 * const settled = await Effect.runPromise(
 *   iterate({ max: 100, until: (_before, after) => after >= 5 }, 0, (n) => Effect.succeed(n + 1)),
 * )
 * assert.equal(settled, 5)
 * ```
 */
export const iterate = <S, E, R>(
  options: IterateOptions<S, E, R>,
  initial: S,
  body: (state: S, iteration: number) => Effect.Effect<S, E, R>,
): Effect.Effect<S, E, R> =>
  Effect.gen(function* () {
    const total = "times" in options ? options.times : options.max;
    if (!Number.isInteger(total) || total < 0) {
      return yield* Effect.die(
        new RangeError(`iterate needs a whole number of iterations, got ${total}`),
      );
    }
    const scenario = yield* CurrentScenario;
    const pipeline = yield* Effect.serviceOption(Pipeline);
    let state = initial;
    for (let i = 0; i < total; i++) {
      const next = yield* Effect.provideService(body(state, i), CurrentIteration, i);
      if (pipeline._tag === "Some") {
        pipeline.value.progress.iterationFinished(scenario?.name ?? null, i, total);
      }
      if ("until" in options) {
        const verdict = options.until(state, next, i);
        const done = Effect.isEffect(verdict) ? yield* verdict : verdict;
        state = next;
        if (done) {
          break;
        }
      } else {
        state = next;
      }
    }
    return state;
  });
