// What a store names but lacks: every record's links, tree's entries, cache entry's
// run and outputs, and ref, looked up in the store's objects (no server of its own).
// With `cutsAllowed`, a record's link the store says was cut on purpose (`cuts`: a
// shortened history) whose object is absent is listed apart, as "<from> <to>".
import * as Effect from "effect/Effect";
import type { ObjectStoreApi } from "../../store/object_store.ts";
import type { ObjectId } from "../../store/object_id.ts";
import { decodeCacheValue } from "../../lib/model/cache_entry.ts";

/** What on the remote names an object it lacks (empty: none). */
export const dangling = (store: ObjectStoreApi, cutsAllowed = false) =>
  Effect.gen(function* () {
    const present = new Set(yield* store.listObjects());
    const cuts = cutsAllowed ? yield* store.cuts() : new Map<ObjectId, Set<ObjectId>>();
    const problems: string[] = [];
    const cut: string[] = [];
    const need = (id: ObjectId, by: string) => {
      if (!present.has(id)) problems.push(`${by} names ${id}, which is not there`);
    };
    for (const id of present) {
      const kind = yield* store.identify(id); // downloads and verifies it
      if (kind === "record") {
        for (const l of (yield* store.readRecord(id)).links ?? []) {
          if (cuts.get(id)?.has(l) && !present.has(l)) cut.push(`${id} ${l}`);
          else need(l, id);
        }
      }
      if (kind === "tree") { for (const e of yield* store.readTree(id)) need(e.id, id); }
    }
    for (const [key, values] of yield* store.index("cache").snapshot()) {
      for (const v of values) {
        const entry = decodeCacheValue(v);
        if (!entry) continue;
        need(entry.run, `cache entry ${key}`);
        for (const o of Object.values(entry.outputs)) need(o.id, `cache entry ${key}`);
      }
    }
    for (const ref of yield* store.listRefs()) need(ref.id, `ref ${ref.name}`);
    return { problems, cut, objects: present.size, refs: (yield* store.listRefs()).length };
  });
