import assert from "node:assert/strict";
import { listArtifacts, QueryError } from "../../../lib/query/mod.ts";
import { runsOf, testStore, viewOf } from "./_store.ts";

Deno.test("listArtifacts() lists every output of every run once, newest run first", async () => {
  const { root } = await testStore();
  const view = await viewOf(root);
  const rows = listArtifacts(view);
  // seed, label, 2 × scale, 4 × grow: one output each; 2 × report: two each.
  assert.equal(view.runs.size, 10);
  assert.equal(rows.length, 12);
  const expected = [...view.runs].flatMap(([run, s]) =>
    Object.entries(s.outputs).map(([name, ref]) => ({
      ...ref,
      name,
      producer: run,
      step: s.step,
      iteration: s.iteration,
      scenario: s.scenario,
    }))
  );
  const key = (r: { producer: string; name: string }) => `${r.producer} ${r.name}`;
  assert.deepEqual(
    [...rows].sort((a, b) => key(a).localeCompare(key(b))),
    expected.sort((a, b) => key(a).localeCompare(key(b))),
  );
  const started = rows.map((r) => view.runs.get(r.producer)!.startedAt);
  assert.deepEqual(started, [...started].sort().reverse(), "newest run first");
});

Deno.test("listArtifacts() filters by a run id prefix", async () => {
  const { root } = await testStore();
  const report = (await runsOf(root, "policy")).report!;
  const rows = listArtifacts(await viewOf(root), { run: report.slice(0, 8) });
  assert.deepEqual(
    rows.map((r) => [r.name, r.kind, r.codec, r.producer, r.step, r.iteration, r.scenario]),
    [
      ["out", "tree", "dir", report, "report", null, "policy"],
      ["summary", "blob", "text", report, "report", null, "policy"],
    ],
  );
  assert.equal(rows[1]!.size, "y = 945".length);
});

Deno.test("listArtifacts() filters by output name, later iterations first", async () => {
  const { root } = await testStore();
  const base = await runsOf(root, "base");
  const policy = await runsOf(root, "policy");
  const rows = listArtifacts(await viewOf(root), { name: "y" });
  assert.deepEqual(
    rows.map((r) => r.producer),
    [policy["grow@1"], policy["grow@0"], policy.scale, base["grow@1"], base["grow@0"], base.scale],
  );
  assert.ok(rows.every((r) => r.name === "y" && r.codec === "json"));
  assert.deepEqual(
    listArtifacts(await viewOf(root), { run: base.report!, name: "y" }),
    [],
    "both filters apply",
  );
});

Deno.test("listArtifacts() throws QueryError for a run prefix matching no run or several", async () => {
  const { root } = await testStore();
  const view = await viewOf(root);
  assert.throws(
    () => listArtifacts(view, { run: "zzzz" }),
    (e) => e instanceof QueryError && /^Cannot find run "zzzz"/.test(e.message),
  );
  // The longest prefix two run ids share.
  const ids = [...view.runs.keys()].sort();
  let shared = "";
  for (let i = 1; i < ids.length; i++) {
    let n = 0;
    while (ids[i - 1]![n] === ids[i]![n]) n++;
    if (n > shared.length) shared = ids[i]!.slice(0, n);
  }
  assert.throws(
    () => listArtifacts(view, { run: shared }),
    (e) => e instanceof QueryError && /run ids start with it/.test(e.message),
  );
});
