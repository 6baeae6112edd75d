// `cairn runs`: invocations with filters, text and JSON telling the same.
import assert from "node:assert/strict";
import type { RunRow } from "../../lib/query/mod.ts";
import {
  assertOneErrorLine,
  cairn,
  cairnJson,
  cairnOk,
  runDemo,
  short,
  withTempDir,
} from "./_fixture.ts";

Deno.test("runs filters by step, iteration, hit and facet; text and JSON agree", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const first = await runDemo(root, { rate: 1.1, n: 2 });
    const second = await runDemo(root, { rate: 1.2, n: 2 });
    const store = ["--store", root];

    const all = await cairnJson<RunRow[]>(["runs", ...store]);
    assert.equal(all.length, first.invocations.length + second.invocations.length);
    assert.equal(all[0]!.scenarioRecord, second.record, "newest scenario run first");

    const hits = await cairnJson<RunRow[]>(["runs", "--hit", ...store]);
    assert.deepEqual(hits.map((r) => r.step), ["seed"]);
    const misses = await cairnJson<RunRow[]>(["runs", "--miss", ...store]);
    assert.equal(misses.length, all.length - 1);

    const grow1 = await cairnJson<RunRow[]>([
      "runs",
      "--step",
      "grow",
      "--iteration",
      "1",
      ...store,
    ]);
    assert.equal(grow1.length, 2);
    const text = await cairnOk(["runs", "--step", "grow", "--iteration", "1", ...store]);
    const lines = text.trim().split("\n");
    assert.equal(lines.length, 1 + grow1.length);
    for (const row of grow1) {
      assert.ok(
        lines.some((l) => l.startsWith(`${short(row.run!)}  grow@1`) && l.includes("miss")),
      );
    }

    const byFacet = await cairnJson<RunRow[]>(["runs", "--facet", "rate=1.1", ...store]);
    assert.ok(byFacet.every((r) => r.scenarioRecord === first.record));
    assert.equal(byFacet.length, first.invocations.length);
    assert.equal((await cairnJson<RunRow[]>(["runs", "--limit", "3", ...store])).length, 3);

    const both = await cairn(["runs", "--hit", "--miss", ...store]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /^error: .*--hit or --miss/);
  });
});

Deno.test("runs with a misspelt step, scenario or tag exits 2 and names the closest; a known name matching nothing is an empty answer", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    await runDemo(root, { rate: 1.1, n: 2, name: "equilibrium" });
    await runDemo(root, { rate: 1.1, n: 1, name: "congestion" });
    const store = ["--store", root];

    assertOneErrorLine(
      await cairn(["runs", "--step", "smoth", ...store]),
      /^error: Cannot find step "smoth": .*; did you mean "smooth"\?$/,
    );
    assertOneErrorLine(
      await cairn(["runs", "--scenario", "equilibirum", ...store]),
      /^error: Cannot find scenario "equilibirum": .*; did you mean "equilibrium"\?$/,
    );
    assertOneErrorLine(
      await cairn(["runs", "--scenario", "congestoin", "--json", ...store]),
      /did you mean "congestion"\?$/,
    );
    assertOneErrorLine(await cairn(["runs", "--tag", "tset", ...store]), /did you mean "test"\?$/);
    // Nothing close: the known names instead.
    assertOneErrorLine(
      await cairn(["runs", "--step", "assignment", ...store]),
      /Cannot find step "assignment": .*its steps are "grow", "seed", "smooth"$/,
    );

    // Facets: a misspelt key, and a value no run has.
    assertOneErrorLine(
      await cairn(["runs", "--facet", "rat=1.1", ...store]),
      /^error: Cannot find facet "rat": .*; did you mean "rate"\?$/,
    );
    assertOneErrorLine(
      await cairn(["runs", "--facet", "rate=1.2", ...store]),
      /^error: Cannot find facet rate=1\.2: no scenario run of this store has it; did you mean "1\.1"\?$/,
    );
    const facet = await cairn(["runs", "--facet", "rate=1.1", ...store]);
    assert.equal(facet.code, 0, facet.stderr);

    // Every name is known, and nothing matches: that is an answer.
    const none = await cairn(["runs", "--scenario", "congestion", "--iteration", "1", ...store]);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, "no runs match\n");
  });
});
