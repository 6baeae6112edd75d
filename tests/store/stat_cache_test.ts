import assert from "node:assert/strict";
import { Effect } from "effect";
import { ObjectStore } from "../../store/object_store.ts";
import { AppendIndex } from "../../store/append_index.ts";
import { hashFile } from "../../store/objects.ts";
import { RACY_WINDOW_MS, statCachedFileId } from "../../store/stat_cache.ts";
import { withStore } from "./_helpers.ts";

// Ages a file's mtime; ctime cannot be set, so tests that need a non-racy entry
// wait out the window. The clock passed is the process's: no skew here.
const age = (path: string, ms: number) => {
  const t = new Date(Date.now() - ms);
  Deno.utimeSync(path, t, t);
};

Deno.test("statCachedFileId() hashes a new file and returns the blob id", () =>
  withStore((ctx, dir) => {
    const index = new AppendIndex(ctx.layout, "stat");
    Deno.writeTextFileSync(`${dir}/in.csv`, "a,b\n1,2\n");
    const result = statCachedFileId(index, `${dir}/in.csv`, Date.now);
    assert.equal(result.hashed, true);
    assert.equal(result.id, hashFile(`${dir}/in.csv`).id);
    index.close();
  }));

Deno.test("statCachedFileId() does not trust an entry recorded within the racy window", () =>
  withStore((ctx, dir) => {
    const index = new AppendIndex(ctx.layout, "stat");
    Deno.writeTextFileSync(`${dir}/in.csv`, "fresh");
    statCachedFileId(index, `${dir}/in.csv`, Date.now);
    // Same size, same mtime, same second: only content can tell, so it must re-hash.
    assert.equal(statCachedFileId(index, `${dir}/in.csv`, Date.now).hashed, true);
    index.close();
  }));

Deno.test(
  "statCachedFileId() trusts an old unchanged file and re-hashes after bytes change with size and mtime restored",
  async () => {
    await withStore(async (ctx, dir) => {
      const index = new AppendIndex(ctx.layout, "stat");
      const path = `${dir}/big.bin`;
      Deno.writeTextFileSync(path, "version-1");
      age(path, 10_000);
      // ctime is now; wait until the entry can be recorded outside the racy window.
      await new Promise((r) => setTimeout(r, RACY_WINDOW_MS + 1100));
      const first = statCachedFileId(index, path, Date.now);
      assert.equal(first.hashed, true);
      const second = statCachedFileId(index, path, Date.now);
      assert.equal(second.hashed, false, "unchanged file is served from the stat cache");
      assert.equal(second.id, first.id);

      const mtime = Deno.statSync(path).mtime!;
      Deno.writeTextFileSync(path, "version-2"); // same size
      Deno.utimeSync(path, mtime, mtime); // mtime restored; ctime moves on
      const third = statCachedFileId(index, path, Date.now);
      assert.equal(third.hashed, true);
      assert.notEqual(third.id, first.id);
      assert.equal(third.id, hashFile(path).id);
      index.close();
    });
  },
);

// Through the store's fileId, as an input reaches it (the clock is the store's).
const lookups = (root: string, path: string, n: number) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const store = yield* ObjectStore;
      const results = [];
      for (let i = 0; i < n; i++) results.push(yield* store.fileId(path));
      const entries = yield* store.index("stat").getAll(encodeURIComponent(path));
      return { hashed: results.map((r) => r.hashed), ids: results.map((r) => r.id), entries };
    }).pipe(Effect.provide(ObjectStore.layer({ root }))),
  );

Deno.test("fileId() of a file just changed re-hashes on every lookup but records its entry once", async () => {
  await withStore(async (ctx, dir) => {
    const path = `${dir}/fresh.csv`;
    Deno.writeTextFileSync(path, "a,b\n1,2\n");
    const seen = await lookups(ctx.layout.root, path, 5);
    assert.deepEqual(seen.hashed, [true, true, true, true, true], "racy: hashed each time");
    assert.equal(new Set(seen.ids).size, 1);
    assert.equal(seen.entries.length, 1, "one stat entry, not one per lookup");
  });
});

Deno.test("fileId() of an input with an mtime in the future: trusted once its ctime is old, one entry", async () => {
  await withStore(async (ctx, dir) => {
    const path = `${dir}/from-the-future.csv`;
    Deno.writeTextFileSync(path, "zone,population\n1,1200\n");
    const tomorrow = new Date(Date.now() + 86_400_000);
    Deno.utimeSync(path, tomorrow, tomorrow);
    // Its ctime (set by the utime) must be older than the racy window.
    await new Promise((r) => setTimeout(r, RACY_WINDOW_MS + 1100));
    const seen = await lookups(ctx.layout.root, path, 5);
    assert.deepEqual(seen.hashed, [true, false, false, false, false]);
    assert.equal(seen.entries.length, 1);
    assert.equal(seen.ids[4], hashFile(path).id);
  });
});
