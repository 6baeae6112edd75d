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

const svgWidth = (svg: string): number => Number(/<svg width="(\d+)pt"/.exec(svg)?.[1]);

Deno.test("graph --by step draws one node per step, edges labelled with the input and its iterations", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const ran = await runDemo(root, { rate: 1.1, n: 3 });
    const store = ["--store", root];

    const dot = await cairnOk(["graph", "demo", "--by", "step", ...store]);
    const nodes = [...dot.matchAll(/^ {2}"([^"]+)" \[shape=/gm)].map((m) => m[1]);
    assert.deepEqual(nodes, [
      "step:seed",
      "step:grow",
      "step:smooth",
      "artifact:zones:external",
      `target:${ran.final}`,
    ]);
    assert.match(dot, /"step:grow" \[shape=box, label="grow\\n@0–2\\n3 runs"\]/);
    assert.match(dot, /"step:seed" -> "step:grow" \[label="x\\n@0"\]/);
    assert.match(dot, /"step:grow" -> "step:smooth" \[label="y\\n@0–2"\]/);
    // The loop-carried state: smooth@i's x is read by grow@i+1.
    assert.match(dot, /"step:smooth" -> "step:grow" \[label="x\\n@0–1 → @1–2"\]/);
    assert.match(dot, /"artifact:zones:external" -> "step:grow" \[label="zones\\n@0–2"\]/);
    assert.match(dot, /label="by step: 7 runs of 3 steps";/);
    assert.doesNotMatch(dot, /"run:/);

    const mermaid = await cairnOk([
      "graph",
      "demo",
      "--by",
      "step",
      "--format",
      "mermaid",
      ...store,
    ]);
    assert.match(mermaid, /^---\ntitle: "by step: 7 runs of 3 steps"\n---\nflowchart LR\n/);
    assert.match(mermaid, /^ {2}r2 -->\|"x<br\/>@0–1 → @1–2"\| r1$/m);
    assert.equal(mermaid.match(/^ {2}r\d\[/gm)?.length, 3, "three step boxes");

    // Small graphs are still drawn by run unless asked.
    const byRun = await cairn(["graph", "demo", ...store]);
    assert.equal(byRun.stderr, "");
    for (const inv of ran.invocations) assert.ok(byRun.stdout.includes(`"run:${inv.run}"`));
  });
});

Deno.test("graph of a long chain draws by step unless --by run, and says so; the picture stays narrow", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const ran = await runDemo(root, { rate: 1.1, n: 20 }); // 41 runs
    const store = ["--store", root];

    const big = await cairn(["graph", "demo", ...store]);
    assert.equal(big.code, 0, big.stderr);
    assert.match(big.stderr, /^note: 41 runs: one node per step \(above 40 runs\); give --by run/);
    assert.match(
      big.stdout,
      /label="by step: 41 runs of 3 steps; drawn by step above 40 runs; --by run draws every run";/,
    );
    assert.doesNotMatch(big.stdout, /"run:/);

    const all = await cairn(["graph", "demo", "--by", "run", ...store]);
    assert.equal(all.stderr, "", "asked for: no note");
    assert.equal(all.stdout.match(/^ {2}"run:[0-9a-f]{64}" \[/gm)?.length, ran.invocations.length);

    const narrow = svgWidth(await cairnOk(["graph", "demo", "--format", "svg", ...store]));
    const wide = svgWidth(
      await cairnOk(["graph", "demo", "--format", "svg", "--by", "run", ...store]),
    );
    assert.ok(narrow < 1000, `by step: ${narrow} pt wide`);
    assert.ok(wide > 5 * narrow, `by run: ${wide} pt wide, by step ${narrow}`);
  });
});
