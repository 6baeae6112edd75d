import assert from "node:assert/strict";
import type { Lineage } from "../../../lib/query/mod.ts";
import { stepStructure } from "../../../lib/query/step_graph.ts";

// `prep` outside iterate; `model@0–2` each read prep's table and the previous state;
// `report` reads every iteration's output as state_0 … state_2, and zone_01.
const lineage = (): Lineage => {
  const id = (n: number) => n.toString(16).padStart(64, "0");
  const artifacts: Record<string, Lineage["artifacts"][string]> = {};
  const runs: Record<string, Lineage["runs"][string]> = {};
  let n = 1;
  const artifact = (name: string, producer: string | null) => {
    const a = id(n++);
    artifacts[a] = { id: a, name, kind: "blob", codec: "json", size: 1, producer, producers: 1 };
    return a;
  };
  const run = (step: string, iteration: number | null, inputs: Record<string, string>) => {
    const r = id(n++);
    const startedAt = new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();
    runs[r] = {
      id: r,
      step,
      iteration,
      scenario: "s",
      durationMs: 1,
      startedAt,
      inputs,
      outputs: {},
    };
    return r;
  };
  const raw = artifact("raw", null);
  const prep = run("prep", null, { raw });
  const table = artifact("table", prep);
  let state = table;
  const states: string[] = [];
  for (let i = 0; i < 3; i++) {
    const m = run("model", i, { table, state });
    state = artifact("state", m);
    states.push(state);
  }
  const zone = artifact("zone", null);
  const report = run("report", null, {
    ...Object.fromEntries(states.map((s, i) => [`state_${i}`, s])),
    zone_01: zone,
  });
  const out = artifact("out", report);
  return { roots: [out], rootRun: null, depth: null, truncated: false, artifacts, runs };
};

Deno.test("stepStructure() has a node per step and labels edges with inputs and iterations", () => {
  const { nodes, edges, title } = stepStructure(lineage(), "a note");
  assert.deepEqual(nodes.filter((n) => n.shape === "box").map((n) => n.lines), [
    ["prep", "1 run"],
    ["model", "@0–2", "3 runs"],
    ["report", "1 run"],
  ]);
  const label = (from: string, to: string) =>
    edges.find((e) => e.from === from && e.to === to)?.label;
  assert.deepEqual(label("artifact:raw:external", "step:prep"), ["raw"]);
  // Iteration 0 reads prep's table as its state, later ones the previous model's.
  assert.deepEqual(label("step:prep", "step:model"), ["state, table", "@0–2"]);
  assert.deepEqual(label("step:model", "step:model"), ["state", "@0–1 → @1–2"]);
  // Numbered inputs fold into a range; one with a leading zero keeps its name.
  assert.deepEqual(label("step:model", "step:report"), ["state_0–2", "from @0–2"]);
  assert.deepEqual(label("artifact:zone:external", "step:report"), ["zone_01"]);
  assert.equal(title, "by step: 5 runs of 3 steps; a note");
});
