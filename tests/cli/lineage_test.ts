// `cairn lineage`: the tree back from an artifact, its JSON, and --depth.
import assert from "node:assert/strict";
import type { Lineage } from "../../lib/query/mod.ts";
import { cairnJson, cairnOk, inStore, runDemo, runOf, short, withTempDir } from "./_fixture.ts";

Deno.test("lineage of the last iteration's output reaches the first iteration's inputs; --depth stops it", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const ran = await runDemo(root, { rate: 1.1, n: 3 });
    const grow0 = runOf(ran, "grow", 0);
    const firstInputs = await inStore(root, (store) => store.readRecord(grow0)).then((r) =>
      Object.values(r.inputs as Record<string, { id: string }>).map((i) => i.id)
    );
    assert.equal(firstInputs.length, 2);
    assert.ok(firstInputs.includes(ran.zones));

    const text = await cairnOk(["lineage", ran.final, "--store", root]);
    const json = await cairnJson<Lineage>(["lineage", ran.final, "--store", root]);
    // Every run of the scenario, down to seed, and both inputs of iteration 0.
    assert.deepEqual(Object.keys(json.runs).sort(), ran.invocations.map((i) => i.run).sort());
    for (const id of firstInputs) assert.ok(json.artifacts[id], `input ${short(id)} reached`);
    assert.equal(json.truncated, false);
    assert.equal(json.artifacts[ran.zones]!.producer, null);
    // The text tells the same: a line per run, the external input, the counts.
    for (const inv of ran.invocations) {
      const at = inv.iteration === null ? inv.step : `${inv.step}@${inv.iteration}`;
      assert.match(text, new RegExp(`${at}  run ${short(inv.run)}  demo`));
    }
    assert.match(
      text,
      new RegExp(`zones  blob ${short(ran.zones)}  text  29 B  \\(external input\\)`),
    );
    const runs = Object.keys(json.runs).length;
    const artifacts = Object.keys(json.artifacts).length;
    assert.match(text, new RegExp(`^${runs} runs, ${artifacts} artifacts$`, "m"));

    const shallow = await cairnJson<Lineage>([
      "lineage",
      ran.final,
      "--depth",
      "1",
      "--store",
      root,
    ]);
    assert.deepEqual(Object.keys(shallow.runs), [runOf(ran, "smooth", 2)]);
    assert.equal(shallow.truncated, true);
    const shallowText = await cairnOk(["lineage", ran.final, "--depth", "1", "--store", root]);
    assert.match(shallowText, /deeper than --depth 1/);
    assert.doesNotMatch(shallowText, new RegExp(short(grow0)));
    assert.match(shallowText, /stopped at --depth 1/);
  });
});

Deno.test("lineage accepts an output name and a scenario as targets", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const ran = await runDemo(root, { rate: 1.1, n: 2 });
    const byName = await cairnJson<Lineage>(["lineage", "x", "--store", root]);
    assert.deepEqual(byName.roots, [ran.final]);
    const byScenario = await cairnJson<Lineage>(["lineage", "demo", "--store", root]);
    assert.equal(byScenario.rootRun, runOf(ran, "smooth", 1));
    assert.deepEqual(Object.keys(byScenario.runs).sort(), Object.keys(byName.runs).sort());
  });
});
