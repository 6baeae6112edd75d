// `cairn diff`: two scenario records compared.
import assert from "node:assert/strict";
import type { ScenarioDiff } from "../../lib/query/mod.ts";
import { cairnJson, cairnOk, runDemo, withTempDir } from "./_fixture.ts";

Deno.test("diff names the config change and every output that differs", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    await runDemo(root, { rate: 1.1, n: 2 });
    await runDemo(root, { rate: 1.2, n: 2 });
    const store = ["--store", root];

    const diff = await cairnJson<ScenarioDiff>(["diff", "demo~1", "demo", ...store]);
    assert.deepEqual(diff.config.map((c) => [c.path, c.before, c.after]), [[
      "config.rate",
      1.1,
      1.2,
    ]]);
    // seed is a hit with the same output; every grow and smooth output differs.
    assert.deepEqual(
      diff.outputs.map((o) => `${o.step}@${o.iteration}`),
      ["grow@0", "smooth@0", "grow@1", "smooth@1"],
    );
    const text = await cairnOk(["diff", "demo~1", "demo", ...store]);
    assert.match(text, /^config:\n {2}rate: 1\.1 → 1\.2$/m);
    assert.match(text, /^facets:\n {2}rate: 1\.1 → 1\.2$/m);
    assert.match(text, /^tags: no differences$/m);
    for (const o of diff.outputs) {
      assert.match(text, new RegExp(`${o.step}@${o.iteration} +${o.name} +${o.a!.slice(0, 12)}`));
    }
  });
});
