// Index entries that check out (a valid checksum) but name the wrong kind of object:
// a cache entry whose "run record" is a blob, with forged outputs. `cairn fsck` must
// report it instead of saying the store is sound.
import assert from "node:assert/strict";
import { LINEAGE_INDEX } from "../../lib/model/lineage_entry.ts";
import { AppendIndex } from "../../store/append_index.ts";
import { openStoreContext } from "../../store/object_store.ts";
import { putBytes } from "../../store/objects.ts";
import { encodeRecord } from "../../store/record.ts";
import { cairn, runDemo, withTempDir } from "../cli/_fixture.ts";

Deno.test("fsck reports cache and lineage entries naming a blob, a tree or a non-run record as a run", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    await runDemo(root, { rate: 1.1, n: 1 });
    const ctx = openStoreContext(root, { create: false });
    const forged: string[] = [];
    try {
      const enc = new TextEncoder();
      const blob = putBytes(ctx, "blob", enc.encode("[1,2,3]")).id;
      const tree = putBytes(ctx, "tree", new Uint8Array()).id;
      const note = putBytes(ctx, "record", encodeRecord({ type: "note", text: "not a run" })).id;
      const cache = new AppendIndex(ctx.layout, "cache");
      for (const id of [blob, tree, note]) {
        const key = `${"f".repeat(60)}${forged.length.toString().padStart(4, "0")}`;
        cache.append(key, `${id} {"y":["${blob}","blob","json",7]}`);
        forged.push(id);
      }
      cache.close();
      const lineage = new AppendIndex(ctx.layout, LINEAGE_INDEX);
      lineage.append(`run:${blob}`, `${blob} {}`);
      lineage.close();
    } finally {
      ctx.session.close();
    }
    const result = await cairn(["fsck", "--store", root]);
    assert.equal(result.code, 1, `fsck said:\n${result.stdout}`);
    assert.match(result.stdout, /4 problems: 4 wrong-kind/);
    for (const id of forged) assert.ok(result.stdout.includes(id), `fsck names ${id}`);
    assert.match(result.stdout, /names blob [0-9a-f]{64}, not a run record/);
    assert.match(result.stdout, /names record [0-9a-f]{64} of type "note", not a run record/);
    console.log("forged-index suite: 4 forged entries (cache and lineage), 4 reported");
  });
});
