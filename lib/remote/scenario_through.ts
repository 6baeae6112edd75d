/**
 * Write-through of a scenario record to the run's remote cache: the record's closure
 * (its history, the runs it names and what they link, children first, only what the
 * remote lacks), then `scenarios/<name>` moved to it by compare-and-swap, then the
 * tracking ref `remotes/<remote>/scenarios/<name>` here.
 *
 * Two machines finishing the same scenario at once must not lose either record. The
 * ref is moved from the value read, and a conflict (another machine's update between
 * our read and our write) reads it again and moves it from there: the ref ends on
 * the record that moved it last, and the remote's reflog — one entry per update,
 * each naming the value before — chains every record that was the head. Unlike
 * `push`, which sends a history and refuses to hide another machine's, this sends one
 * record just made: refusing it would leave it named by nothing on the remote. Only
 * a record of this store's own that the remote's head descends from (an older run
 * finishing its upload late) leaves the ref where it is.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { IoFailure, type StoreError, storeError } from "../../store/errors.ts";
import type { ObjectId } from "../../store/object_id.ts";
import type { ObjectStoreApi } from "../../store/object_store.ts";
import { copyObjects } from "./copy_objects.ts";
import type { RemoteError } from "./remote_error.ts";
import { isAncestor } from "./scenario_history.ts";
import { withScratch } from "./_scratch.ts";

/** What to send. */
export interface SendScenarioOptions {
  /** The remote's name (for the tracking ref). */
  readonly remote: string;
  readonly scenario: string;
  /** The scenario record (in the local store). */
  readonly record: ObjectId;
  /** The remote reflog entry's message. */
  readonly message: string;
}

/** What a scenario's write-through did. */
export interface SentScenario {
  /** Objects uploaded, and their payload bytes. */
  readonly objects: number;
  readonly bytes: number;
  /** The remote ref's value before (the last one read). */
  readonly from: ObjectId | null;
  /** Whether the ref now names the record (false: the remote holds a newer one of ours). */
  readonly moved: boolean;
}

// Other writers winning between our read and our write: each conflict is another
// record going in, so this many in a row means something is wrong.
const MAX_ATTEMPTS = 50;

/**
 * Sends `options.record`'s closure from `local` to `remote` and moves the remote's
 * `scenarios/<name>` to it (see the module doc).
 *
 * @example A store's scenario, sent to another store
 * ```ts
 * import assert from "node:assert/strict"
 * import { Context, Effect, Layer } from "effect"
 * import { ObjectStore, Pipeline, scenarioRecorded } from "cairn"
 * import { sendScenario } from "./scenario_through.ts"
 *
 * const open = Effect.map(Layer.build(ObjectStore.layerTemp), (c) => Context.get(c, ObjectStore))
 * const head = await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
 *   const local = yield* open
 *   const remote = yield* open
 *   const { record } = yield* scenarioRecorded("base", {}, Effect.succeed(1)).pipe(
 *     Effect.provide(Pipeline.layer()), Effect.provideService(ObjectStore, local),
 *   )
 *   yield* sendScenario(local, remote, { remote: "origin", scenario: "base", record: record!, message: "m" })
 *   return (yield* remote.readRef("scenarios/base")) === record
 * })))
 * assert.equal(head, true)
 * ```
 */
export const sendScenario = (
  local: ObjectStoreApi,
  remote: ObjectStoreApi,
  options: SendScenarioOptions,
): Effect.Effect<SentScenario, StoreError | RemoteError> =>
  Effect.gen(function* () {
    const copied = yield* withScratch(local, (scratch) =>
      copyObjects(local, remote, [{ id: options.record, kind: "record" }], {
        bytes: true,
        trustPresent: true,
        scratch,
      }));
    const ref = `scenarios/${options.scenario}`;
    let from: ObjectId | null = null;
    let moved = false;
    for (let attempt = 0; !moved; attempt++) {
      if (attempt === MAX_ATTEMPTS) {
        return yield* Effect.fail(storeError(
          new IoFailure({
            op: "update the remote's ref",
            path: ref,
            cause: new Error(
              `${MAX_ATTEMPTS} compare-and-swap attempts in a row lost to other writers; "cairn push" sends it later`,
            ),
          }),
        ));
      }
      from = yield* remote.readRef(ref);
      if (from === options.record) {
        break;
      }
      // A newer record of this store's own is there already (read locally: a record
      // of another machine's is not here, and cannot descend from one just made).
      if (from !== null && (yield* isAncestor(local, options.record, from))) {
        return { objects: copied.objects, bytes: copied.bytes, from, moved: false };
      }
      moved = yield* remote.updateRef(ref, options.record, {
        expected: from,
        message: options.message,
      }).pipe(
        Effect.as(true),
        Effect.catchReason("StoreError", "RefConflict", () =>
          // A short random pause spreads the contenders out.
          Effect.as(Effect.sleep(Math.min(2 ** attempt, 50) + Math.random() * 10), false)),
      );
    }
    yield* local.updateRef(`remotes/${options.remote}/${ref}`, options.record, {
      message: "write-through",
    });
    return { objects: copied.objects, bytes: copied.bytes, from, moved: true };
  });
