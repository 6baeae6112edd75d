import assert from "node:assert/strict";
import type { ArtifactRef } from "../../../mod.ts";
import { formatJsonLines, openLineageEvents } from "../../../lib/query/mod.ts";
import { query, recordOf, testStore, viewOf } from "./_store.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const events = async (options?: { namespace?: string }) => {
  const { root } = await testStore();
  return await query(root, openLineageEvents(await viewOf(root), options));
};

Deno.test("openLineageEvents() gives one START and one COMPLETE per run, in time order", async () => {
  const { root } = await testStore();
  const view = await viewOf(root);
  const all = await events();
  assert.equal(all.length, 2 * view.runs.size);
  const byRun = new Map<string, string[]>();
  all.forEach((e, i) => {
    const run = e.run.facets.cairn_run.record;
    byRun.set(run, [...(byRun.get(run) ?? []), `${e.eventType} ${i}`]);
  });
  assert.deepEqual([...byRun.keys()].sort(), [...view.runs.keys()].sort());
  for (const [run, seen] of byRun) {
    assert.deepEqual(seen.map((s) => s.split(" ")[0]), ["START", "COMPLETE"], run);
  }
  const times = all.map((e) => e.eventTime);
  assert.deepEqual(times, [...times].sort());
  const ids = new Set(all.map((e) => e.run.runId));
  assert.equal(ids.size, view.runs.size, "one runId per run");
  for (const id of ids) assert.match(id, UUID);
});

Deno.test("openLineageEvents() follows the run records: times, job, facets, inputs and outputs", async () => {
  const { root } = await testStore();
  for (const event of await events()) {
    const run = event.run.facets.cairn_run.record;
    const record = await recordOf(root, run);
    assert.equal(event.producer, "cairn");
    assert.equal(
      event.schemaURL,
      "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    );
    assert.equal(event.run.runId.replaceAll("-", "").slice(0, 12), run.slice(0, 12));
    assert.equal(event.eventTime, event.eventType === "START" ? record.startedAt : record.endedAt);
    assert.deepEqual(event.job, { namespace: "cairn://store", name: record.step });
    const facet = event.run.facets.cairn_run;
    assert.deepEqual([facet.scenario, facet.iteration], [record.scenario, record.iteration]);
    assert.ok(facet._producer && facet._schemaURL);
    const datasets = (refs: Record<string, ArtifactRef | null>) =>
      Object.entries(refs).flatMap(([name, ref]) =>
        ref ? [[ref.id, name, ref.kind, ref.codec, ref.size, "cairn://store"]] : []
      );
    const seen = (list: typeof event.inputs) =>
      list.map((d) => {
        const f = d.facets.cairn_artifact;
        return [d.name, f.name, f.kind, f.codec, f.size, d.namespace];
      });
    assert.deepEqual(seen(event.inputs), datasets(record.inputs as Record<string, ArtifactRef>));
    assert.deepEqual(seen(event.outputs), datasets(record.outputs as Record<string, ArtifactRef>));
  }
  // grow reads the external zones file and the previous y.
  const grow = (await events()).find((e) => e.job.name === "grow")!;
  assert.deepEqual(grow.inputs.map((d) => d.facets.cairn_artifact.name).sort(), ["y", "zones"]);
});

Deno.test("openLineageEvents() uses the namespace it is given", async () => {
  const all = await events({ namespace: "cairn://prod" });
  assert.ok(all.every((e) => e.job.namespace === "cairn://prod"));
  assert.ok(
    all.flatMap((e) => [...e.inputs, ...e.outputs]).every((d) => d.namespace === "cairn://prod"),
  );
});

Deno.test("formatJsonLines() writes one parseable event per line", async () => {
  const all = await events();
  const text = formatJsonLines(all);
  assert.ok(text.endsWith("}\n"));
  const lines = text.trimEnd().split("\n");
  assert.equal(lines.length, all.length);
  assert.deepEqual(lines.map((line) => JSON.parse(line)), all);
  assert.equal(formatJsonLines([]), "");
});
