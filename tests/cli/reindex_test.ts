// `cairn reindex`: lineage answers again after the derived index is lost.
import assert from "node:assert/strict";
import type { Lineage, ReindexReport } from "../../lib/query/mod.ts";
import { cairn, cairnJson, cairnOk, runDemo, withTempDir } from "./_fixture.ts";

Deno.test("reindex rebuilds a lost lineage index", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const ran = await runDemo(root, { rate: 1.1, n: 2 });
    const before = await cairnJson<Lineage>(["lineage", ran.final, "--store", root]);
    Deno.removeSync(`${root}/index/lineage.log`);
    const lost = await cairnJson<Lineage>(["lineage", ran.final, "--store", root]);
    assert.deepEqual(lost.runs, {});

    const text = await cairnOk(["reindex", "--store", root]);
    assert.match(
      text,
      new RegExp(`^read ${ran.invocations.length} run records; added \\d+ lineage`),
    );
    const after = await cairnJson<Lineage>(["lineage", ran.final, "--store", root]);
    assert.deepEqual(Object.keys(after.runs).sort(), Object.keys(before.runs).sort());
    const again = await cairnJson<ReindexReport>(["reindex", "--store", root]);
    assert.equal(again.lineageEntries, 0, "nothing left to add");
    assert.equal((await cairn(["fsck", "--store", root])).code, 0);
  });
});
