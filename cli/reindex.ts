/**
 * `cairn reindex`: rebuild the derived indexes (lineage, cache) from the run
 * records, for a store whose index files were lost or damaged.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Command from "effect/cli/Command";
import { jsonFlag, printJson, printLines } from "./_output.ts";
import { queries, storeFlag, withStore } from "./_store.ts";

/** The `reindex` command. */
export const reindexCommand = Command.make(
  "reindex",
  { json: jsonFlag, store: storeFlag },
  ({ json, store }) =>
    withStore(
      store,
      Effect.gen(function* () {
        const q = yield* queries;
        const result = yield* q.reindex;
        // The query index is derived from the logs just rebuilt: absorb them again whole.
        yield* Effect.scoped(q.openQueryIndex({ rebuild: true }));
        if (json) return yield* printJson(result);
        yield* printLines([
          `read ${result.runs} run records; added ${result.lineageEntries} lineage and ${result.cacheEntries} cache index entries`,
          ...(result.incomplete > 0
            ? [
              `skipped ${result.incomplete} runs whose outputs, inputs or upstream runs are missing or damaged (their steps run again when next needed)`,
            ]
            : []),
        ]);
      }),
    ),
).pipe(Command.withDescription(
  "Rebuild the lineage and cache indexes from the run records, then the query index",
));
