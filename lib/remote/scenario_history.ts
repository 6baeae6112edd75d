/**
 * A scenario's history as its records chain it (`parent`, like commits), read from
 * one store: what a push or pull needs to tell a fast-forward from a divergence.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import type { StoreError } from "../../store/errors.ts";
import type { ObjectId } from "../../store/object_id.ts";
import type { ObjectStoreApi } from "../../store/object_store.ts";
import { decodeScenarioRecord, type ScenarioRecord } from "../model/scenario_record.ts";

/**
 * The records from `head` back along `parent`, newest first, stopping before `stop`
 * (or at the first record the store lacks or that is not a scenario record).
 */
export const history = (
  store: ObjectStoreApi,
  head: ObjectId,
  stop: ObjectId | null = null,
): Effect.Effect<{ id: ObjectId; record: ScenarioRecord }[], StoreError> =>
  Effect.gen(function* () {
    const out: { id: ObjectId; record: ScenarioRecord }[] = [];
    for (let id: ObjectId | null = head; id !== null && id !== stop;) {
      const record = decodeScenarioRecord(
        yield* store.readRecord(id).pipe(Effect.orElseSucceed(() => undefined)),
      );
      if (!record) break;
      out.push({ id, record });
      id = record.parent;
    }
    return out;
  });

/** Whether `ancestor` is `head` or one of its parents in `store`. */
export const isAncestor = (
  store: ObjectStoreApi,
  ancestor: ObjectId,
  head: ObjectId,
): Effect.Effect<boolean, StoreError> =>
  ancestor === head ? Effect.succeed(true) : history(store, head).pipe(
    Effect.map((chain) => chain.some((r) => r.record.parent === ancestor)),
  );

/** Where a history stops short in a store (see {@linkcode historyEnd}). */
export interface HistoryEnd {
  /** The oldest record of the history the store holds. */
  readonly record: ObjectId;
  /** The parent it names, which the store lacks. */
  readonly parent: ObjectId;
  /** Whether the link was cut on purpose (a retention policy shortened the history). */
  readonly cut: boolean;
}

/**
 * Where `head`'s history stops short in `store`: its oldest record there and the
 * parent that record names but the store lacks; null when the history reaches its
 * first record.
 */
export const historyEnd = (
  store: ObjectStoreApi,
  head: ObjectId,
): Effect.Effect<HistoryEnd | null, StoreError> =>
  Effect.gen(function* () {
    const oldest = (yield* history(store, head)).at(-1);
    const parent = oldest?.record.parent ?? null;
    if (!oldest || parent === null || (yield* store.has(parent))) return null;
    const cut = (yield* store.cuts()).get(oldest.id)?.has(parent) ?? false;
    return { record: oldest.id, parent, cut };
  });
