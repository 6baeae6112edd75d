// `cairn show`: a run, a scenario record, an artifact.
import assert from "node:assert/strict";
import type { Shown } from "../../lib/query/mod.ts";
import { cairnJson, cairnOk, runDemo, runOf, short, withTempDir } from "./_fixture.ts";

Deno.test("show describes a run, a scenario and an artifact, in text and JSON", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const ran = await runDemo(root, { rate: 1.1, n: 2 });
    const store = ["--store", root];
    const grow1 = runOf(ran, "grow", 1);

    const run = await cairnJson<Shown>(["show", short(grow1), ...store]);
    assert.equal(run.kind, "run");
    const runText = await cairnOk(["show", short(grow1), ...store]);
    assert.match(runText, new RegExp(`^run ${grow1}$`, "m"));
    assert.match(runText, /^step +grow@1$/m);
    assert.match(runText, /^config +\{"rate":1\.1\}$/m);
    assert.match(runText, new RegExp(`zones +blob ${short(ran.zones)} +text +29 B +external`));
    assert.match(
      runText,
      new RegExp(`x +blob \\w+ +json .*from run ${short(runOf(ran, "smooth", 0))}`),
    );

    const scenario = await cairnJson<Shown>(["show", "demo", ...store]);
    assert.equal(scenario.kind, "scenario");
    assert.equal(scenario.id, ran.record);
    const scenarioText = await cairnOk(["show", "demo", ...store]);
    assert.match(scenarioText, /invocations: 5 \(0 hits, 5 misses\)/);

    const artifact = await cairnJson<Shown>(["show", ran.zones, ...store]);
    assert.ok(artifact.kind === "artifact");
    assert.deepEqual(
      [...artifact.consumers].sort(),
      ran.invocations.filter((i) => i.step === "grow").map((i) => i.run).sort(),
    );
    const artifactText = await cairnOk(["show", ran.zones, ...store]);
    assert.match(artifactText, new RegExp(`^artifact zones  blob ${ran.zones}$`, "m"));
    assert.match(artifactText, /^made by \(0\)$/m);
    assert.match(artifactText, /^read by \(2\)$/m);
  });
});

Deno.test("show of a scenario with a failed invocation prints the error the record stored", async () => {
  const { Effect } = await import("effect");
  const { iterate, Json, Pipeline, scenario, step } = await import("../../mod.ts");
  const broken = step({
    name: "broken",
    outputs: { x: Json },
    run: (_, __, ctx) => {
      if (ctx.iteration === 1) throw new RangeError("the matrix is singular");
      return { x: ctx.iteration };
    },
  });
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    await Effect.runPromiseExit(
      scenario("failing", {}, iterate({ times: 3 }, null, () => Effect.as(broken({}), null)))
        .pipe(Effect.provide(Pipeline.layerDisk({ root }))),
    );
    const text = await cairnOk(["show", "failing", "--store", root]);
    assert.match(
      text,
      /error broken@1: Step "broken" failed in iteration 1 of scenario "failing": the matrix is singular/,
    );
  });
});
