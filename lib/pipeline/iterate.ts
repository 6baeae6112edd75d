/**
 * `iterate`: run a body over a state, a fixed number of times or until it
 * converges. Every step invoked inside knows its iteration (it is recorded, and
 * part of the key unless the step is `iterationInvariant`).
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { requireEffect } from "./effect_version.ts";
import { CurrentIteration, CurrentScenario, Pipeline } from "./pipeline.ts";

/**
 * How many iterations: exactly `times`, or up to `max` until `until` says the state
 * converged. `until` may fail or need services of its own (reading an artifact's value
 * with {@linkcode read} does): its error and context types join the body's.
 */
export type IterateOptions<S, E = never, R = never> =
  | { readonly times: number }
  | {
    readonly max: number;
    /**
     * Called after each iteration with the state before and after it; true stops the
     * loop. States holding artifacts are read with {@linkcode read}.
     */
    readonly until: (
      previous: S,
      next: S,
      iteration: number,
    ) => boolean | Effect.Effect<boolean, E, R>;
  };

/**
 * Runs `body` for iterations 0, 1, … feeding each one's state to the next. Inside a
 * scenario, how the loop ended — `{ iterations, of, converged }` — goes into the
 * scenario record (`cairn scenarios` shows it), and a loop with `until` says on the
 * progress output whether it converged or stopped at `max`.
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
export const iterate = <S, E, R, E2 = never, R2 = never>(
  options: IterateOptions<S, E2, R2>,
  initial: S,
  body: (state: S, iteration: number) => Effect.Effect<S, E, R>,
): Effect.Effect<S, E | E2, R | R2> =>
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
    let ran = 0;
    let converged = false;
    for (let i = 0; i < total; i++) {
      const next = yield* Effect.provideService(
        requireEffect(body(state, i), `what the body of iterate returned in iteration ${i}`),
        CurrentIteration,
        i,
      );
      ran = i + 1;
      if (pipeline._tag === "Some") {
        pipeline.value.progress.iterationFinished(scenario?.name ?? null, i, total);
      }
      if ("until" in options) {
        const verdict = options.until(state, next, i);
        const done = Effect.isEffect(verdict) ? yield* verdict : verdict;
        state = next;
        if (done) {
          converged = true;
          break;
        }
      } else {
        state = next;
      }
    }
    const until = "until" in options;
    scenario?.loops.push({ iterations: ran, of: total, converged: until ? converged : null });
    if (until && pipeline._tag === "Some") {
      pipeline.value.progress.log(
        `[${scenario?.name ?? "cairn"}] ${
          converged
            ? `converged after ${ran} iteration${ran === 1 ? "" : "s"} (max ${total})`
            : `did not converge: stopped at max ${total} iterations`
        }`,
      );
    }
    return state;
  });
