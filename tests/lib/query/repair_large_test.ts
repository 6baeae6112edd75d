// Repair of an output that lost more objects than a function call takes arguments
// (`missing.push(...list)` threw RangeError past ~120,000 on this Deno): a directory
// output of 200,000 files, none of them in the store.
import assert from "node:assert/strict";
import { Effect } from "effect";
import { ObjectStore } from "../../../mod.ts";
import { encodeTree } from "../../../store/tree.ts";
import { CACHE_INDEX, encodeCacheValue } from "../../../lib/model/cache_entry.ts";
import { repairStore } from "../../../lib/query/mod.ts";

const N = 200_000;
const id = (i: number) => (i + 1).toString(16).padStart(64, "0");

Deno.test("repair names every one of 200,000 files a directory output lost", () =>
  Effect.runPromise(
    Effect.gen(function* () {
      const store = yield* ObjectStore;
      const entries = Array.from({ length: N }, (_, i) => ({
        name: `cell-${String(i).padStart(6, "0")}.json`,
        mode: "file" as const,
        id: id(i),
      }));
      const tree = yield* store.put("tree", encodeTree(entries));
      const run = "e".repeat(64);
      yield* store.index(CACHE_INDEX).append(
        "key",
        encodeCacheValue(run, { cells: { id: tree.id, kind: "tree", codec: "dir", size: N } }),
      );
      const result = yield* repairStore;
      assert.equal(result.runs.length, 1);
      assert.equal(result.runs[0]!.run, run);
      assert.equal(result.runs[0]!.missing.length, N);
      assert.deepEqual(result.runs[0]!.missing.slice(0, 2), [id(0), id(1)]);
    }).pipe(Effect.provide(ObjectStore.layerTemp)),
  ));
