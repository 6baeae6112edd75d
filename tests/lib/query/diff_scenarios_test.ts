import assert from "node:assert/strict";
import { Effect } from "effect";
import { diffScenarios, scenarioHistory } from "../../../lib/query/mod.ts";
import { query, testStore, viewOf } from "./_store.ts";

const diff = async (a: string, b: string) => {
  const { root } = await testStore();
  return await query(root, diffScenarios(await viewOf(root), a, b));
};

const newest = async (name: string) => {
  const { root } = await testStore();
  return (await query(root, scenarioHistory(name, 1)))[0]!;
};

/** Output ids of a scenario record's invocations, by `step@iteration`. */
const outputsOf = async (name: string) => {
  const { root } = await testStore();
  const view = await viewOf(root);
  return Object.fromEntries(
    (await newest(name)).invocations.map((i) => [
      `${i.step}@${i.iteration}`,
      Object.fromEntries(
        Object.entries(view.runs.get(i.run!)!.outputs).map(([k, v]) => [k, v.id]),
      ),
    ]),
  );
};

Deno.test("diffScenarios() names the one changed config key, the tags, facets and changed outputs", async () => {
  const result = await diff("base", "policy");
  assert.deepEqual(result.a, { name: "base", id: (await newest("base")).id });
  assert.deepEqual(result.b, { name: "policy", id: (await newest("policy")).id });
  assert.deepEqual(result.config, [
    { part: "config", path: "config.mode.beta", before: 2, after: 3 },
  ]);
  assert.deepEqual(result.tags, { added: ["policy"], removed: ["baseline"] });
  assert.deepEqual(result.facets, [{ name: "mode.beta", before: 2, after: 3 }]);
  const a = await outputsOf("base");
  const b = await outputsOf("policy");
  // seed and label do not depend on beta: they are the same runs, so not listed.
  assert.deepEqual(result.outputs, [
    { step: "scale", iteration: null, name: "y", a: a["scale@null"]!.y, b: b["scale@null"]!.y },
    { step: "grow", iteration: 0, name: "y", a: a["grow@0"]!.y, b: b["grow@0"]!.y },
    { step: "grow", iteration: 1, name: "y", a: a["grow@1"]!.y, b: b["grow@1"]!.y },
    {
      step: "report",
      iteration: null,
      name: "out",
      a: a["report@null"]!.out,
      b: b["report@null"]!.out,
    },
    {
      step: "report",
      iteration: null,
      name: "summary",
      a: a["report@null"]!.summary,
      b: b["report@null"]!.summary,
    },
  ]);
  for (const o of result.outputs) assert.notEqual(o.a, o.b);
});

Deno.test("diffScenarios() swaps before and after when the sides swap", async () => {
  const result = await diff("policy", "base");
  assert.deepEqual(result.config.map((c) => [c.path, c.before, c.after]), [
    ["config.mode.beta", 3, 2],
  ]);
  assert.deepEqual(result.tags, { added: ["baseline"], removed: ["policy"] });
  assert.equal(result.outputs.length, 5);
});

Deno.test("diffScenarios() compares an older record given as name~N: same config, same outputs", async () => {
  const head = await newest("base");
  const result = await diff("base~1", "base");
  assert.equal(result.a.id, head.parent);
  assert.equal(result.b.id, head.id);
  assert.deepEqual(
    [result.config, result.tags, result.facets, result.outputs],
    [[], { added: [], removed: [] }, [], []],
  );
});

Deno.test("diffScenarios() takes a scenario record id prefix", async () => {
  const policy = await newest("policy");
  const result = await diff(policy.id.slice(0, 12), "base");
  assert.deepEqual(result.a, { name: "policy", id: policy.id });
  assert.equal(result.config.length, 1);
});

Deno.test("diffScenarios() fails with QueryError for a missing scenario or an out-of-range ~N", async () => {
  const { root } = await testStore();
  const view = await viewOf(root);
  const tooOld = await query(root, Effect.flip(diffScenarios(view, "base~2", "base")));
  assert.equal(tooOld._tag, "QueryError");
  assert.match(tooOld.message, /^Cannot find "base~2": scenario "base" has 2 records kept/);
  const missing = await query(root, Effect.flip(diffScenarios(view, "base", "nowhere")));
  assert.equal(missing._tag, "QueryError");
  assert.match(missing.message, /^Cannot find scenario "nowhere"/);
});
