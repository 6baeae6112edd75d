// `cairn artifacts`: run outputs, filtered by run and by name.
import assert from "node:assert/strict";
import type { ArtifactRow } from "../../lib/query/mod.ts";
import { cairn, cairnJson, cairnOk, runDemo, runOf, short, withTempDir } from "./_fixture.ts";

Deno.test("artifacts lists outputs by name and by run; an unknown run is a one-line error", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const ran = await runDemo(root, { rate: 1.1, n: 3 });
    const store = ["--store", root];

    const all = await cairnJson<ArtifactRow[]>(["artifacts", ...store]);
    assert.equal(all.length, ran.invocations.length, "one output per run");
    const xs = await cairnJson<ArtifactRow[]>(["artifacts", "--name", "x", ...store]);
    assert.deepEqual(xs.map((a) => a.step).sort(), ["seed", "smooth", "smooth", "smooth"]);
    assert.equal(xs[0]!.id, ran.final, "newest first");

    const text = await cairnOk(["artifacts", "--name", "x", ...store]);
    const lines = text.trim().split("\n");
    assert.equal(lines.length, 1 + xs.length);
    xs.forEach((a, i) => assert.ok(lines[i + 1]!.startsWith(`x     ${short(a.id)}  blob  json`)));

    const grow2 = runOf(ran, "grow", 2);
    const one = await cairnJson<ArtifactRow[]>(["artifacts", "--run", short(grow2), ...store]);
    assert.deepEqual(one.map((a) => [a.name, a.producer]), [["y", grow2]]);

    const unknown = await cairn(["artifacts", "--run", "ffffffff", ...store]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^error: Cannot find run "ffffffff"/);
  });
});
