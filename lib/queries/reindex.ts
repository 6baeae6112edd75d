/**
 * Rebuilding the derived indexes from the records: the lineage index (run
 * summaries, producers, consumers, step runs) and the cache index (key → run),
 * for a store whose index files were lost or damaged. The records are the truth;
 * the indexes only make queries fast.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { ObjectStore } from "../../store/object_store.ts";
import type { StoreError } from "../../store/errors.ts";
import { LINEAGE_INDEX, lineageEntries, summaryOfRecord } from "../run_summary.ts";
import { encodeCacheValue } from "../cache_entry.ts";
import type { ArtifactRef } from "../artifact.ts";

/** Counts of a rebuild. */
export interface ReindexReport {
  readonly runs: number;
  readonly lineageEntries: number;
  readonly cacheEntries: number;
}

/** Reads every run record and appends any missing index entries. */
export const reindex: Effect.Effect<ReindexReport, StoreError, ObjectStore> = Effect.gen(
  function* () {
    const store = yield* ObjectStore;
    const ids = yield* store.listObjects();
    const lineage: [string, string][] = [];
    const cache: [string, string][] = [];
    let runs = 0;
    const existingLineage = yield* store.index(LINEAGE_INDEX).snapshot();
    const existingCache = yield* store.index("cache").snapshot();
    for (const id of ids) {
      const kind = yield* store.identify(id).pipe(Effect.orElseSucceed(() => "damaged" as const));
      if (kind !== "record") continue;
      const record = yield* store.readRecord(id);
      if (record.type !== "run" || record.status !== "ok") continue;
      runs++;
      const summary = summaryOfRecord(record as unknown as Record<string, unknown>);
      for (const [key, value] of lineageEntries(id, summary)) {
        if (!(existingLineage.get(key) ?? []).includes(value)) lineage.push([key, value]);
      }
      const key = String(record.key);
      const value = encodeCacheValue(id, summary.outputs as Record<string, ArtifactRef>);
      if (!(existingCache.get(key) ?? []).includes(value)) cache.push([key, value]);
    }
    yield* store.index(LINEAGE_INDEX).appendMany(lineage);
    yield* store.index("cache").appendMany(cache);
    return { runs, lineageEntries: lineage.length, cacheEntries: cache.length };
  },
);
