/**
 * Write-through of a run's new results to its remote cache: each run this process
 * computed and cached goes up in the background — its closure (outputs, the run
 * record, the records it links, children first, only what the remote lacks), then
 * its cache entry, so the remote never names what it does not hold — a few at a
 * time, and `finish` waits for all of them. A scenario record goes up once the runs
 * queued before it have: its closure, then its ref (`scenario_through.ts`). An upload that fails is a warning: the
 * result is in the local store, which keeps it, and `cairn push` sends it later.
 * After a failure the remote counts as down for a while (`retryAfterMs` of the remote
 * cache) and the uploads meanwhile are not tried (each would wait out the SDK's
 * retries), only counted; later ones try it again.
 *
 * @module
 */
import * as Cause from "effect/Cause";
import * as Effect from "effect/Effect";
import * as Fiber from "effect/Fiber";
import * as FiberSet from "effect/FiberSet";
import * as Semaphore from "effect/Semaphore";
import type * as Scope from "effect/Scope";
import type { ObjectId } from "../../store/object_id.ts";
import type { ObjectStoreApi } from "../../store/object_store.ts";
import type { StoreError } from "../../store/errors.ts";
import { CACHE_INDEX, decodeCacheValue } from "../model/cache_entry.ts";
import { copyObjects } from "./copy_objects.ts";
import { sendScenario } from "./scenario_through.ts";
import {
  ioFailure,
  type RemoteBacking,
  remoteFailed,
  remoteOrFail,
} from "./remote_backed_store.ts";
import { withScratch } from "./_scratch.ts";

/** What the write-through sent. */
export interface WriteThroughStats {
  /** Runs whose closure and cache entry are on the remote now. */
  runs: number;
  /** Objects uploaded. */
  objects: number;
  /** Their payload bytes. */
  bytes: number;
  /** Runs not uploaded (the remote failed): `cairn push` sends them. */
  failed: number;
  /** Scenario records whose ref the remote names now. */
  scenarios: number;
  /** Scenario records not uploaded (the remote failed): `cairn push` sends them. */
  scenariosFailed: number;
}

/** The write-through of one run of a pipeline. */
export interface WriteThrough {
  readonly stats: WriteThroughStats;
  /** Queues the upload of `run`, cached under `key` (returns at once). */
  readonly written: (key: string, run: ObjectId) => Effect.Effect<void>;
  /** Queues the upload of scenario record `record` and the move of its ref (returns at once). */
  readonly recorded: (scenario: string, record: ObjectId, message: string) => Effect.Effect<void>;
  /**
   * Uploads `run` and its cache entry `value` under `key` now, and fails when that
   * fails (the remote stays in use: the next upload tries again). What a cluster
   * runner does before it replies, so that the pipeline on another host can read it.
   */
  readonly now: (key: string, run: ObjectId, value: string) => Effect.Effect<void, StoreError>;
  /** Waits for every queued upload. */
  readonly finish: Effect.Effect<void>;
  /** Interrupts the uploads under way (each leaves complete closures), counting them not uploaded. */
  readonly abandon: Effect.Effect<void>;
}

/**
 * Starts the write-through of `local` to `backing`'s remote, for the scope.
 *
 * @example Without a remote nothing is sent
 * ```ts
 * import assert from "node:assert/strict"
 * import { Effect } from "effect"
 * import { ObjectStore } from "cairn"
 * import { writeThrough } from "./write_through.ts"
 *
 * const stats = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
 *   const local = yield* ObjectStore
 *   const reads = { lookups: 0, hits: 0, records: 0, objects: 0, bytes: 0, downloaded: [] }
 *   const up = yield* writeThrough(local, {
 *     name: "origin", remote: Effect.succeed(undefined), down: true, stats: reads, adopted: new Map(), onRemote: new Set(),
 *     warn: () => {},
 *   })
 *   yield* up.written("some key", "ab".repeat(32))
 *   yield* up.finish
 *   return up.stats
 * })).pipe(Effect.provide(ObjectStore.layerTemp)))
 * assert.deepEqual(stats, { runs: 0, objects: 0, bytes: 0, failed: 1, scenarios: 0, scenariosFailed: 0 })
 * ```
 */
export const writeThrough = (
  local: ObjectStoreApi,
  backing: RemoteBacking,
  options: { readonly concurrency?: number } = {},
): Effect.Effect<WriteThrough, never, Scope.Scope> =>
  Effect.gen(function* () {
    const fibers = yield* FiberSet.make<void, never>();
    const permits = yield* Semaphore.make(options.concurrency ?? 4);
    const stats: WriteThroughStats = {
      runs: 0,
      objects: 0,
      bytes: 0,
      failed: 0,
      scenarios: 0,
      scenariosFailed: 0,
    };
    // The run uploads queued so far, which a scenario record's upload waits for; and
    // the scenario uploads not done, counted apart when abandoned.
    const queued: Fiber.Fiber<void>[] = [];
    let scenariosPending = 0;
    // The run's closure, children first, then its cache entry unless the remote has one.
    const send = (remote: ObjectStoreApi, key: string, run: ObjectId, value: string) =>
      Effect.gen(function* () {
        const copied = yield* withScratch(local, (scratch) =>
          copyObjects(local, remote, [{ id: run, kind: "record" }], {
            bytes: true,
            trustPresent: true,
            scratch,
          }));
        const theirs = yield* remote.index(CACHE_INDEX).get(key);
        if (theirs === undefined || decodeCacheValue(theirs) === undefined) {
          yield* remote.index(CACHE_INDEX).append(key, value);
        }
        stats.runs++;
        stats.objects += copied.objects;
        stats.bytes += copied.bytes;
      }).pipe(permits.withPermits(1));
    const upload = (key: string, run: ObjectId) =>
      Effect.gen(function* () {
        const remote = backing.down ? undefined : yield* backing.remote;
        if (!remote) {
          stats.failed++;
          return;
        }
        // Only what the local cache holds for the key: an uncached run is not sent.
        const value = yield* local.index(CACHE_INDEX).get(key);
        if (value === undefined || decodeCacheValue(value)?.run !== run) {
          return;
        }
        yield* send(remote, key, run, value);
      }).pipe(
        Effect.catchCause((cause) =>
          Effect.sync(() => {
            stats.failed++;
            remoteFailed(backing, `uploading run ${run.slice(0, 12)}`, Cause.squash(cause));
          })
        ),
      );
    const uploadScenario = (scenario: string, record: ObjectId, message: string) =>
      Effect.gen(function* () {
        const remote = backing.down ? undefined : yield* backing.remote;
        if (!remote) {
          stats.scenariosFailed++;
          return;
        }
        const sent = yield* sendScenario(local, remote, {
          remote: backing.name,
          scenario,
          record,
          message,
        });
        stats.scenarios++;
        stats.objects += sent.objects;
        stats.bytes += sent.bytes;
      }).pipe(
        permits.withPermits(1),
        Effect.catchCause((cause) =>
          Effect.sync(() => {
            stats.scenariosFailed++;
            remoteFailed(backing, `uploading scenario ${scenario}`, Cause.squash(cause));
          })
        ),
      );
    const now = (key: string, run: ObjectId, value: string) =>
      Effect.gen(function* () {
        const remote = yield* remoteOrFail(backing.remote, backing.name, "upload run");
        yield* send(remote, key, run, value);
      }).pipe(
        Effect.catchTag("RemoteError", (e) =>
          Effect.fail(ioFailure("upload run", backing.name, e.detail))),
      );
    return {
      stats,
      now,
      written: (key, run) =>
        Effect.map(FiberSet.run(fibers, upload(key, run)), (fiber) => {
          // Those done are dropped now and then: a long run queues many.
          if (queued.length >= 256) {
            const running = queued.filter((f) =>
              f.pollUnsafe() === undefined
            );
            queued.length = 0;
            queued.push(...running);
          }
          queued.push(fiber);
        }),
      recorded: (scenario, record, message) =>
        Effect.suspend(() => {
          // After the runs before it, which the record names: their cache entries are
          // on the remote before its ref is (a push's order).
          const before = [...queued];
          scenariosPending++;
          return Effect.asVoid(FiberSet.run(
            fibers,
            Fiber.awaitAll(before).pipe(
              Effect.andThen(uploadScenario(scenario, record, message)),
              Effect.ensuring(Effect.sync(() => scenariosPending--)),
            ),
          ));
        }),
      finish: FiberSet.awaitEmpty(fibers),
      abandon: Effect.gen(function* () {
        const pending = scenariosPending;
        stats.failed += (yield* FiberSet.size(fibers)) - pending;
        stats.scenariosFailed += pending;
        yield* FiberSet.clear(fibers);
      }),
    };
  });
