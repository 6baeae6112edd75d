import assert from "node:assert/strict";
import { AppendIndex } from "../../store/append_index.ts";
import { hashFile } from "../../store/objects.ts";
import { RACY_WINDOW_MS, statCachedFileId } from "../../store/stat_cache.ts";
import { withStore } from "./_helpers.ts";

// Ages a file's mtime; ctime cannot be set, so tests that need a non-racy entry
// also pass a fake clock through the recorded time by waiting out the window.
const age = (path: string, ms: number) => {
  const t = new Date(Date.now() - ms);
  Deno.utimeSync(path, t, t);
};

Deno.test("statCachedFileId() hashes a new file and returns the blob id", () =>
  withStore((ctx, dir) => {
    const index = new AppendIndex(ctx.layout, "stat");
    Deno.writeTextFileSync(`${dir}/in.csv`, "a,b\n1,2\n");
    const result = statCachedFileId(index, `${dir}/in.csv`);
    assert.equal(result.hashed, true);
    assert.equal(result.id, hashFile(`${dir}/in.csv`).id);
    index.close();
  }));

Deno.test("statCachedFileId() does not trust an entry recorded within the racy window", () =>
  withStore((ctx, dir) => {
    const index = new AppendIndex(ctx.layout, "stat");
    Deno.writeTextFileSync(`${dir}/in.csv`, "fresh");
    statCachedFileId(index, `${dir}/in.csv`);
    // Same size, same mtime, same second: only content can tell, so it must re-hash.
    assert.equal(statCachedFileId(index, `${dir}/in.csv`).hashed, true);
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
      const first = statCachedFileId(index, path);
      assert.equal(first.hashed, true);
      const second = statCachedFileId(index, path);
      assert.equal(second.hashed, false, "unchanged file is served from the stat cache");
      assert.equal(second.id, first.id);

      const mtime = Deno.statSync(path).mtime!;
      Deno.writeTextFileSync(path, "version-2"); // same size
      Deno.utimeSync(path, mtime, mtime); // mtime restored; ctime moves on
      const third = statCachedFileId(index, path);
      assert.equal(third.hashed, true);
      assert.notEqual(third.id, first.id);
      assert.equal(third.id, hashFile(path).id);
      index.close();
    });
  },
);
