// Measuring the synchronous internals and the Effect service side by side.
import { Effect } from "effect";
import { timeMs } from "./_measure.ts";

/**
 * Runs items `[0, count)` through both APIs in batches of `batch`, alternating
 * which goes first, so that both meet the same caches, JIT state and file-system
 * state; returns the total milliseconds of each.
 */
export const alternate = <E>(
  count: number,
  batch: number,
  sync: (from: number, to: number) => void,
  effect: (from: number, to: number) => Effect.Effect<void, E>,
): Effect.Effect<{ syncMs: number; effectMs: number }, E> =>
  Effect.gen(function* () {
    let syncMs = 0;
    let effectMs = 0;
    for (let from = 0, round = 0; from < count; from += batch, round++) {
      const to = Math.min(count, from + batch);
      if (round % 2 === 0) syncMs += timeMs(() => sync(from, to));
      const start = performance.now();
      yield* effect(from, to);
      effectMs += performance.now() - start;
      if (round % 2 === 1) syncMs += timeMs(() => sync(from, to));
    }
    return { syncMs, effectMs };
  });

/**
 * Shares items `[0, count)` between the two APIs: each batch of `batch` goes to
 * one of them, alternately, so that both write into the same store under the same
 * conditions without one finding the other's objects. Returns each API's total
 * milliseconds and item count.
 */
export const share = <E>(
  count: number,
  batch: number,
  sync: (from: number, to: number) => void,
  effect: (from: number, to: number) => Effect.Effect<void, E>,
): Effect.Effect<{ syncMs: number; effectMs: number; syncCount: number; effectCount: number }, E> =>
  Effect.gen(function* () {
    let syncMs = 0;
    let effectMs = 0;
    let syncCount = 0;
    let effectCount = 0;
    for (let from = 0, round = 0; from < count; from += batch, round++) {
      const to = Math.min(count, from + batch);
      if (round % 2 === 0) {
        syncMs += timeMs(() => sync(from, to));
        syncCount += to - from;
      } else {
        const start = performance.now();
        yield* effect(from, to);
        effectMs += performance.now() - start;
        effectCount += to - from;
      }
    }
    return { syncMs, effectMs, syncCount, effectCount };
  });
