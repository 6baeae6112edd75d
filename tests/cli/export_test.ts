// `cairn export openlineage`: two events per run, one JSON object per line.
import assert from "node:assert/strict";
import { cairnOk, runDemo, withTempDir } from "./_fixture.ts";

Deno.test("export openlineage prints a START and a COMPLETE event per run as JSON lines", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const ran = await runDemo(root, { rate: 1.1, n: 2 });
    const text = await cairnOk(["export", "openlineage", "--namespace", "test", "--store", root]);
    const events = text.trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.equal(events.length, 2 * ran.invocations.length);
    const records = (type: string) =>
      events.filter((e) => e.eventType === type).map((e) => e.run.facets.cairn_run.record).sort();
    const runs = ran.invocations.map((i) => i.run).sort();
    assert.deepEqual(records("START"), runs);
    assert.deepEqual(records("COMPLETE"), runs);
    assert.ok(events.every((e) => e.job.namespace === "test"));
  });
});

Deno.test("export openlineage gives a failed invocation a START and a FAIL with its error", async () => {
  const { Effect } = await import("effect");
  const { Json, Pipeline, scenario, step } = await import("../../mod.ts");
  const broken = step({
    name: "broken",
    outputs: { x: Json },
    run: () => {
      throw new RangeError("the matrix is singular");
    },
  });
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    await Effect.runPromiseExit(
      scenario("failing", {}, broken({})).pipe(Effect.provide(Pipeline.layerDisk({ root }))),
    );
    const text = await cairnOk(["export", "openlineage", "--store", root]);
    const events = text.trimEnd().split("\n").map((l) => JSON.parse(l));
    const fail = events.filter((e) => e.eventType === "FAIL");
    assert.equal(fail.length, 1);
    assert.equal(fail[0].job.name, "broken");
    assert.equal(fail[0].run.facets.cairn_run.scenario, "failing");
    assert.match(fail[0].run.facets.errorMessage.message, /the matrix is singular/);
    const start = events.filter((e) => e.eventType === "START");
    assert.deepEqual(start.map((e) => e.run.runId), [fail[0].run.runId]);
  });
});
