/**
 * Rebuilding the derived indexes from the records: the lineage index (run
 * summaries, producers, consumers, step runs) and the cache index (key → run),
 * for a store whose index files were lost or damaged. The records are the truth;
 * the indexes only make queries fast.
 *
 * A run whose closure is incomplete — an output, an input or an upstream run
 * missing or damaged, as a gc killed half-way leaves its garbage — is skipped: an
 * entry for it would be a cache hit on outputs that are gone. The entries go in
 * through `appendIfComplete`, which checks each run's closure under the shared gc
 * lock, so a gc running meanwhile cannot remove a run between the check and the
 * append (reindex and gc are exclusive where it matters).
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { type EntryNeeding, ObjectStore } from "../../store/object_store.ts";
import type { StoreError } from "../../store/errors.ts";
import { LINEAGE_INDEX, lineageEntries, summaryOfRecord } from "../model/lineage_entry.ts";
import { encodeCacheValue } from "../model/cache_entry.ts";
import { decodeRunRecord } from "../model/run_record.ts";

/** Counts of a rebuild. */
export interface ReindexReport {
  /** Run records read. */
  readonly runs: number;
  /** Runs skipped because something they link to, directly or not, is missing or damaged. */
  readonly incomplete: number;
  /** Lineage index entries appended. */
  readonly lineageEntries: number;
  /** Cache index entries appended. */
  readonly cacheEntries: number;
}

/** Reads every run record and appends any missing index entries. */
export const reindex: Effect.Effect<ReindexReport, StoreError, ObjectStore> = Effect.gen(
  function* () {
    const store = yield* ObjectStore;
    const ids = yield* store.listObjects();
    const entries: EntryNeeding[] = [];
    let runs = 0;
    const existingLineage = yield* store.index(LINEAGE_INDEX).snapshot();
    const existingCache = yield* store.index("cache").snapshot();
    for (const id of ids) {
      const kind = yield* store.identify(id).pipe(Effect.orElseSucceed(() => "damaged" as const));
      if (kind !== "record") continue;
      const record = decodeRunRecord(yield* store.readRecord(id));
      // A run whose sources changed while it ran was never cached: reindex adds no entry.
      if (!record) continue;
      runs++;
      const needs = [id];
      const summary = summaryOfRecord(record);
      for (const [key, value] of lineageEntries(id, summary)) {
        if (!(existingLineage.get(key) ?? []).includes(value)) {
          entries.push({ index: LINEAGE_INDEX, key, value, needs });
        }
      }
      const key = record.key;
      const value = encodeCacheValue(id, summary.outputs);
      if (record.uncached === undefined && !(existingCache.get(key) ?? []).includes(value)) {
        entries.push({ index: "cache", key, value, needs });
      }
    }
    const { incomplete } = yield* store.appendIfComplete(entries);
    const skipped = new Set(incomplete);
    const added = (index: string) =>
      entries.filter((e) => e.index === index && !skipped.has(e.needs[0]!)).length;
    return {
      runs,
      incomplete: skipped.size,
      lineageEntries: added(LINEAGE_INDEX),
      cacheEntries: added("cache"),
    };
  },
);
