import assert from "node:assert/strict";
import { impactOf, lineage, renderLineage, why } from "../../../lib/query/mod.ts";
import { query, runsOf, testStore, viewOf } from "./_store.ts";

Deno.test("lineage() of a scenario walks from its last run back to the external input", async () => {
  const { root } = await testStore();
  const view = await viewOf(root);
  const result = await query(root, lineage("policy", view));
  const steps = Object.values(result.runs).map((r) =>
    r.iteration === null ? r.step : `${r.step}@${r.iteration}`
  )
    .sort();
  assert.deepEqual(steps, ["grow@0", "grow@1", "report", "scale", "seed"]);
  const external = Object.values(result.artifacts).filter((a) => a.producer === null);
  assert.deepEqual(external.map((a) => a.name), ["zones"]); // named by the input that reads it
  assert.equal(result.truncated, false);
});

Deno.test("lineage() stops at depth and says so; full depth reaches iteration 0's inputs", async () => {
  const { root } = await testStore();
  const view = await viewOf(root);
  const runs = await runsOf(root, "policy");
  const y = Object.entries(view.runs.get(runs["grow@1"]!)!.outputs)[0]![1].id;
  const one = await query(root, lineage(y, view, { depth: 1 }));
  assert.deepEqual(Object.keys(one.runs), [runs["grow@1"]]);
  assert.equal(one.truncated, true);
  const full = await query(root, lineage(y, view));
  assert.ok(full.runs[runs["grow@0"]!] && full.runs[runs["scale"]!] && full.runs[runs["seed"]!]);
  const lines = renderLineage(full);
  assert.match(lines[0]!, /^y {2}blob [0-9a-f]{12} {2}json/);
  assert.equal(
    lines.filter((l) => /seed {2}run/.test(l) && !/shown above/.test(l)).length,
    1,
    "each run printed once",
  );
});

Deno.test("impactOf() of the shared external input lists every run that read it, by iteration", async () => {
  const { root } = await testStore();
  const view = await viewOf(root);
  const zones = [...view.consumedBy.keys()].find((id) =>
    [...view.runs.values()].some((s) =>
      Object.entries(s.inputs).some(([n, i]) => n === "zones" && i?.id === id)
    )
  )!;
  const impact = impactOf(view, zones);
  // grow@0 and grow@1 of base and of policy read zones directly.
  assert.equal(impact.direct.length, 4);
  assert.deepEqual(impact.byStep.grow, [0, 0, 1, 1]);
  assert.ok(impact.byStep.report, "report is downstream of grow");
});

Deno.test("why() of policy's scale names the changed config key with old and new values", async () => {
  const { root } = await testStore();
  const view = await viewOf(root);
  const answer = await query(root, why(view, "policy", "scale"));
  assert.deepEqual(answer.changes.map((c) => [c.path, c.before, c.after]), [["config.beta", 2, 3]]);
  assert.equal(answer.inputs.length, 0);
});

Deno.test("renderLineage() lists an absent optional input even where the walk stopped", () => {
  const run = "a".repeat(64);
  const lines = renderLineage({
    roots: ["b".repeat(64)],
    rootRun: null,
    depth: 1,
    truncated: true,
    artifacts: {
      ["b".repeat(64)]: {
        id: "b".repeat(64),
        name: "y",
        kind: "blob",
        codec: "json",
        size: 1,
        producer: run,
        producers: 1,
      },
      ["c".repeat(64)]: {
        id: "c".repeat(64),
        name: "x",
        kind: "blob",
        codec: "json",
        size: 1,
        producer: "d".repeat(64),
        producers: 1,
      },
    },
    runs: {
      [run]: {
        id: run,
        step: "grow",
        iteration: 1,
        scenario: "s",
        durationMs: 1,
        startedAt: "t",
        inputs: { prev: null, x: "c".repeat(64) },
        outputs: { y: "b".repeat(64) },
      },
    },
  });
  assert.ok(lines.some((l) => l.includes("prev  (absent optional input)")), lines.join("\n"));
  assert.ok(lines.some((l) => l.includes("deeper than --depth 1")));
});

// A synthetic iterative chain: init, then per iteration a@i (reads the previous
// state and zones) and b@i (reads a@i's output and the previous state).
const chainLineage = (iterations: number, depth: number | null = null) => {
  const hex = (n: number) => n.toString(16).padStart(12, "0").padEnd(64, "0");
  let counter = 1;
  const artifacts: Record<string, Parameters<typeof renderLineage>[0]["artifacts"][string]> = {};
  const runs: Record<string, Parameters<typeof renderLineage>[0]["runs"][string]> = {};
  const artifact = (name: string, producer: string | null) => {
    const id = hex(counter++);
    artifacts[id] = { id, name, kind: "blob", codec: "json", size: 1, producer, producers: 1 };
    return id;
  };
  const addRun = (step: string, iteration: number | null, inputs: Record<string, string>) => {
    const id = hex(counter++);
    runs[id] = {
      id,
      step,
      iteration,
      scenario: "s",
      durationMs: 1,
      startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, counter)).toISOString(),
      inputs,
      outputs: {},
    };
    return id;
  };
  const init = addRun("init", null, {});
  const zones = artifact("zones", init);
  let state = artifact("state", init);
  for (let i = 0; i < iterations; i++) {
    const a = addRun("a", i, { state, zones });
    const x = artifact("x", a);
    const b = addRun("b", i, { x, state });
    state = artifact("state", b);
  }
  if (depth !== null) {
    // Keep only runs within `depth` run levels of the root, as lineage() does.
    const keep = new Set<string>();
    let frontier = [artifacts[state]!.producer!];
    for (let level = 0; level < depth && frontier.length > 0; level++) {
      const nextFrontier: string[] = [];
      for (const run of frontier) {
        if (keep.has(run)) continue;
        keep.add(run);
        for (const id of Object.values(runs[run]!.inputs)) {
          if (id && artifacts[id]!.producer) nextFrontier.push(artifacts[id]!.producer!);
        }
      }
      frontier = nextFrontier;
    }
    for (const id of Object.keys(runs)) if (!keep.has(id)) delete runs[id];
  }
  return { roots: [state], rootRun: null, depth, truncated: depth !== null, artifacts, runs };
};

Deno.test("renderLineage() prints an iterative chain as a column, iteration by iteration", () => {
  const lines = renderLineage(chainLineage(50));
  const column = lines.filter((l) => /^[├└]─ /.test(l)).map((l) => l.split("  ")[0]);
  assert.deepEqual(
    column,
    [...Array.from({ length: 50 }, (_, i) => `├─ b@${49 - i}`), "└─ a@0"],
    "the loop-carried producer continues the column; at iteration 0, the same iteration's",
  );
  const printed = lines.filter((l) =>
    /run [0-9a-f]{12}/.test(l) && !/\(shown (above|below)/.test(l)
  );
  assert.equal(printed.length, 101, "every run printed once");
  const indent = (ls: string[]) => Math.max(...ls.map((l) => l.search(/[└├]─ /)));
  assert.equal(indent(lines), indent(renderLineage(chainLineage(5))), "nesting does not grow");
  assert.ok(lines.some((l) => /b@48 .*\(shown below\)/.test(l)), "a@49 reads state from b@48");
});

Deno.test("renderLineage() at a depth does not continue a column with a run of another iteration", () => {
  const lines = renderLineage(chainLineage(10, 4));
  const column = lines.filter((l) => /^[├└]─ /.test(l)).map((l) => l.split("  ")[0]);
  assert.deepEqual(column, ["├─ b@9", "├─ b@8", "├─ b@7", "└─ b@6"]);
  assert.ok(lines.some((l) => l.includes("deeper than --depth 4")));
});
