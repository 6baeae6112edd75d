// `cairn graph`: lineage as DOT and Mermaid.
import assert from "node:assert/strict";
import { cairn, cairnOk, runDemo, runOf, withTempDir } from "./_fixture.ts";

Deno.test("graph draws the lineage as DOT or Mermaid and refuses other formats", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const ran = await runDemo(root, { rate: 1.1, n: 2 });
    const store = ["--store", root];

    const dot = await cairnOk(["graph", ran.final, ...store]);
    assert.match(dot, /^digraph lineage \{/);
    for (const inv of ran.invocations) assert.ok(dot.includes(`"run:${inv.run}"`));
    assert.match(dot, new RegExp(`"artifact:${ran.zones}" \\[shape=ellipse, style=dashed`));

    const shallow = await cairnOk([
      "graph",
      ran.final,
      "--format",
      "mermaid",
      "--depth",
      "1",
      ...store,
    ]);
    assert.match(shallow, /^flowchart LR/);
    assert.match(shallow, /\["smooth@1"\]/);
    assert.doesNotMatch(shallow, /grow@1/);
    assert.ok(!shallow.includes(runOf(ran, "grow", 1)));

    const png = await cairn(["graph", ran.final, "--format", "png", ...store]);
    assert.equal(png.code, 2);
  });
});
