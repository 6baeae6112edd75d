/**
 * Single-flight: identical invocations in flight at once — the same cache key missed
 * by two fibers of this process, or by two processes on one store — compute once; the
 * others wait and take the result as a hit.
 *
 * In this process a key being computed has an entry in `pipeline.inFlight`; another
 * invocation of it waits for that computation. Across processes the computing one
 * holds the store's lease on the key (`leases/<key>`, see the store's `lease.ts`);
 * another process that misses the key waits while a live process holds it, looking
 * for the cache entry, and takes the lease over when its holder is gone (killed, or on
 * another host and no longer refreshing it). After a computation fails, or is
 * interrupted, a waiter computes the key itself.
 *
 * @module
 */
import * as Deferred from "effect/Deferred";
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import { type PipelineError, pipelineError } from "./errors.ts";
import type { InFlight, KeyedRun, PipelineApi } from "./pipeline_api.ts";

export type { InFlight, KeyedRun };

// A wait longer than this is said on the progress output.
const SAY_AFTER_MS = 2_000;

// How long to sleep between looks while another process holds the lease: 10 ms,
// doubling, at most 500 ms.
const nextWait = (ms: number) => Math.min(ms * 2, 500);

/**
 * The key's run: found by `lookup` (a hit), waited for (another fiber or process
 * computed it: a hit too), or computed here by `compute` (a miss).
 */
/** One key's computation, as {@linkcode singleFlight} is given it. */
export interface Flight {
  /** The pipeline, whose in-flight table and store's leases are used. */
  readonly pipeline: PipelineApi;
  /** The cache key. */
  readonly key: string;
  /** The invocation's label, for the progress output (`step@iteration`). */
  readonly label: string;
  /** Finds the key's run in the cache (a hit), or undefined. */
  readonly lookup: Effect.Effect<KeyedRun | undefined, PipelineError>;
  /** Computes the key's run (a miss). */
  readonly compute: Effect.Effect<KeyedRun, PipelineError>;
}

export const singleFlight = (
  flight: Flight,
): Effect.Effect<{ readonly run: KeyedRun; readonly hit: boolean }, PipelineError> =>
  Effect.gen(function* () {
    const { pipeline, key, lookup } = flight;
    for (;;) {
      const running = pipeline.inFlight.get(key);
      if (running) {
        const run = yield* Deferred.await(running);
        if (run) return { run, hit: true };
        // It failed or was interrupted: look again, and compute it if it is still missing.
        const found = yield* lookup;
        if (found) return { run: found, hit: true };
        continue;
      }
      const mine = Deferred.makeUnsafe<KeyedRun | undefined>();
      pipeline.inFlight.set(key, mine);
      return yield* acrossProcesses(flight).pipe(
        Effect.onExit((exit) =>
          Effect.sync(() => {
            pipeline.inFlight.delete(key);
            Deferred.doneUnsafe(
              mine,
              Exit.succeed(Exit.isSuccess(exit) ? exit.value.run : undefined),
            );
          })
        ),
      );
    }
  });

const acrossProcesses = (
  { pipeline, key, label, lookup, compute }: Flight,
): Effect.Effect<{ readonly run: KeyedRun; readonly hit: boolean }, PipelineError> =>
  Effect.gen(function* () {
    let wait = 10;
    let said = false;
    const since = Date.now();
    for (;;) {
      const done = yield* Effect.scoped(Effect.gen(function* () {
        const lease = yield* Effect.mapError(pipeline.store.lease(key), pipelineError);
        if (!lease) return undefined;
        // Taken: whoever held it may have finished just before.
        const found = yield* lookup;
        if (found) return { run: found, hit: true };
        return { run: yield* compute, hit: false };
      }));
      if (done) return done;
      // Another process computes it: wait for its cache entry (said once it is long).
      if (!said && Date.now() - since > SAY_AFTER_MS) {
        said = true;
        const holder = yield* Effect.orElseSucceed(
          pipeline.store.leaseHolder(key),
          () => undefined,
        );
        pipeline.progress.log(
          `[cairn] ${label}: waiting for ${
            holder ? `process ${holder.pid} on ${holder.host}` : "another process"
          }, which is computing it`,
        );
      }
      yield* Effect.sleep(wait);
      wait = nextWait(wait);
      const found = yield* lookup;
      if (found) return { run: found, hit: true };
    }
  });
