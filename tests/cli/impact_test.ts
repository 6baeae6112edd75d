// `cairn impact` / `cairn consumers`: the runs downstream of an artifact.
import assert from "node:assert/strict";
import type { Impact } from "../../lib/query/mod.ts";
import { cairn, cairnJson, cairnOk, runDemo, short, withTempDir } from "./_fixture.ts";

Deno.test("impact of an input every iteration reads lists every consuming run", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const ran = await runDemo(root, { rate: 1.1, n: 4 });
    const grows = ran.invocations.filter((i) => i.step === "grow").map((i) => i.run);
    const smooths = ran.invocations.filter((i) => i.step === "smooth").map((i) => i.run);
    assert.equal(grows.length, 4);

    const json = await cairnJson<Impact>(["impact", ran.zones, "--store", root]);
    assert.deepEqual(json.direct.map((r) => r.run).sort(), [...grows].sort());
    assert.deepEqual(json.transitive.map((r) => r.run).sort(), [...grows, ...smooths].sort());
    assert.deepEqual(json.byStep, { grow: [0, 1, 2, 3], smooth: [0, 1, 2, 3] });

    const text = await cairnOk(["impact", ran.zones, "--store", root]);
    assert.match(text, /read directly by 4 runs; 8 runs downstream in all/);
    for (const run of grows) {
      assert.match(text, new RegExp(`${short(run)}  grow@\\d +demo +direct`));
    }
    for (const run of smooths) assert.match(text, new RegExp(`${short(run)}  smooth@\\d +demo +2`));
    assert.match(text, /grow +4 +4 +0–3/);
    assert.match(text, /smooth +0 +4 +0–3/);

    assert.equal(await cairnOk(["consumers", ran.zones, "--store", root]), text);
  });
});

Deno.test("impact of something that is not an artifact is a one-line error", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    await runDemo(root, { rate: 1.1, n: 1 });
    const result = await cairn(["impact", "demo", "--store", root]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^error: Cannot show the impact of "demo": it is a scenario/);
    assert.equal(result.stderr.trim().split("\n").length, 1);
  });
});
