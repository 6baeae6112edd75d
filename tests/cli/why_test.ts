// `cairn why`: what changed since the previous run of a step.
import assert from "node:assert/strict";
import type { Why } from "../../lib/query/mod.ts";
import {
  assertOneErrorLine,
  cairn,
  cairnJson,
  cairnOk,
  runDemo,
  runOf,
  short,
  withTempDir,
} from "./_fixture.ts";

Deno.test("why names the one config key that changed, with its old and new values", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const before = await runDemo(root, { rate: 1.1, n: 2 });
    const after = await runDemo(root, { rate: 1.25, n: 2 });

    const json = await cairnJson<Why>(["why", "demo", "grow@0", "--store", root]);
    assert.equal(json.run, runOf(after, "grow", 0));
    assert.equal(json.previous, runOf(before, "grow", 0));
    assert.deepEqual(json.changes, [
      { part: "config", path: "config.rate", before: 1.1, after: 1.25 },
    ]);
    assert.deepEqual(json.inputs, []);

    const text = await cairnOk(["why", "demo", "grow@0", "--store", root]);
    assert.match(text, new RegExp(`compared with run ${short(json.previous!)}`));
    const changeLines = text.split("\n").filter((l) => l.startsWith("  "));
    assert.deepEqual(changeLines, ["  config.rate: 1.1 → 1.25"]);

    // The same question by run id gets the same answer.
    assert.equal(await cairnOk(["why", short(json.run), "--store", root]), text);
  });
});

Deno.test("why says when a run was the first of its step, and when it was a cache hit", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const first = await runDemo(root, { rate: 1.1, n: 1 });
    await runDemo(root, { rate: 1.2, n: 1 });

    const firstRun = await cairnOk(["why", runOf(first, "grow", 0), "--store", root]);
    assert.match(firstRun, /first run of this step/);

    const seed = runOf(first, "seed", null);
    const hit = await cairnJson<Why>(["why", "demo", "seed", "--store", root]);
    assert.equal(hit.hitOf, seed);
    const text = await cairnOk(["why", "demo", "seed", "--store", root]);
    assert.match(text, new RegExp(`was a cache hit of run ${short(seed)}`));
  });
});

Deno.test("why at an iteration no earlier run reached says it is the first run at that iteration", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    await runDemo(root, { rate: 1.1, n: 2 });
    const longer = await runDemo(root, { rate: 1.1, n: 3 });

    const json = await cairnJson<Why>(["why", "demo", "grow@2", "--store", root]);
    assert.equal(json.run, runOf(longer, "grow", 2));
    assert.equal(json.previous, null, "grow@1 is not an earlier run of grow@2");
    assert.deepEqual(json.changes, []);
    assert.deepEqual(json.inputs, []);

    const text = await cairnOk(["why", "demo", "grow@2", "--store", root]);
    assert.match(text, /first run at iteration 2/);
    assert.doesNotMatch(text, /compared with/);
    assert.deepEqual(text.split("\n").filter((l) => l.startsWith("  ")), []);
  });
});

Deno.test("why compares with the scenario's own earlier run, not a run another scenario made in between", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const before = await runDemo(root, { rate: 1.1, n: 1 });
    // Another scenario runs grow@0 with another rate in between.
    await runDemo(root, { rate: 2, n: 1, name: "other" });
    // Then demo runs again at its own rate with a changed zones file.
    Deno.writeTextFileSync(`${root}.zones.csv`, "zone,population\n1,1200\n2,900\n");
    const after = await runDemo(root, { rate: 1.1, n: 1 });

    const json = await cairnJson<Why>(["why", "demo", "grow@0", "--store", root]);
    assert.equal(json.run, runOf(after, "grow", 0));
    assert.equal(json.previous, runOf(before, "grow", 0));
    assert.deepEqual(json.changes.filter((c) => c.part !== "inputs"), [], "no config.rate 2 → 1.1");
    assert.deepEqual(json.inputs.map((i) => i.name), ["zones"]);

    const text = await cairnOk(["why", "demo", "grow@0", "--store", root]);
    assert.match(text, new RegExp(`compared with run ${short(json.previous!)}`));
    assert.doesNotMatch(text, /config\.rate/);
    const changeLines = text.split("\n").filter((l) => l.startsWith("  "));
    assert.equal(changeLines.length, 1);
    assert.match(changeLines[0]!, /^ {2}input zones: /);
  });
});

Deno.test("why in a scenario's first run compares with another scenario's run and says so", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const other = await runDemo(root, { rate: 2, n: 1, name: "other" });
    const first = await runDemo(root, { rate: 1.1, n: 1 });

    const json = await cairnJson<Why>(["why", "demo", "grow@0", "--store", root]);
    assert.equal(json.run, runOf(first, "grow", 0));
    assert.equal(json.previous, runOf(other, "grow", 0));
    const text = await cairnOk(["why", "demo", "grow@0", "--store", root]);
    assert.match(
      text,
      new RegExp(
        `compared with run ${short(json.previous!)} of scenario other\\b.*none in scenario demo`,
      ),
    );
    assert.match(text, /config\.rate: 2 → 1\.1/);
  });
});

Deno.test("why and logs with a misspelt scenario or step, or an iteration that did not run, exit 2 and say what there is", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    await runDemo(root, { rate: 1.1, n: 2, name: "equilibrium" });
    const store = ["--store", root];
    for (const command of ["why", "logs"]) {
      assertOneErrorLine(
        await cairn([command, "equilibirum", "grow@0", ...store]),
        /^error: Cannot find scenario "equilibirum": .*did you mean "equilibrium"\?$/,
      );
      assertOneErrorLine(
        await cairn([command, "equilibrium", "grwo@1", ...store]),
        /^error: Cannot find "grwo@1" in the newest run of scenario "equilibrium": .*did you mean "grow@1"\?$/,
      );
      assertOneErrorLine(
        await cairn([command, "equilibrium", "grow@7", ...store]),
        /^error: Cannot find "grow@7" .*"grow" ran at iterations 0–1 there/,
      );
    }
  });
});
