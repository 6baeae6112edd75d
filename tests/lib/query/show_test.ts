import assert from "node:assert/strict";
import { Effect } from "effect";
import { ObjectStore } from "../../../mod.ts";
import { type ShownArtifact, showTarget } from "../../../lib/query/mod.ts";
import { query, runsOf, testStore, viewOf } from "./_store.ts";

const show = async (target: string) => {
  const { root } = await testStore();
  return await query(root, showTarget(await viewOf(root), target));
};

const artifact = async (target: string): Promise<ShownArtifact> => {
  const shown = await show(target);
  assert.equal(shown.kind, "artifact");
  return shown as ShownArtifact;
};

Deno.test("showTarget() shows a run by id prefix with its whole record", async () => {
  const { root } = await testStore();
  const run = (await runsOf(root, "policy"))["grow@1"]!;
  const shown = await show(run.slice(0, 10));
  assert.equal(shown.kind, "run");
  assert.equal(shown.id, run);
  if (shown.kind !== "run") return;
  assert.equal(shown.record.type, "run");
  assert.equal(shown.record.step, "grow");
  assert.equal(shown.record.iteration, 1);
  assert.equal(shown.record.scenario, "policy");
});

Deno.test("showTarget() shows a scenario by name as its newest record", async () => {
  const { root } = await testStore();
  const head = await query(
    root,
    Effect.gen(function* () {
      return yield* (yield* ObjectStore).readRef("scenarios/base");
    }),
  );
  const shown = await show("base");
  assert.equal(shown.kind, "scenario");
  assert.equal(shown.id, head);
  if (shown.kind !== "scenario") return;
  assert.equal(shown.record.name, "base");
  assert.deepEqual(shown.record.config, { mode: { beta: 2 }, n: 2 });
  assert.ok(typeof shown.record.parent === "string", "the second run of base has a parent");
});

Deno.test("showTarget() shows a tree output with its entries, size and producer", async () => {
  const { root } = await testStore();
  const runs = await runsOf(root, "policy");
  const shown = await artifact("policy:out");
  assert.equal(shown.objectKind, "tree");
  assert.equal(shown.name, "out");
  assert.equal(shown.codec, "dir");
  assert.equal(shown.stored, true);
  // grow@1 of policy: y = ((3·3)·10 + 4 + 0)·10 + 4 + 1 = 945; the files hold "945\n" and "1890\n".
  assert.equal(shown.size, "945\n".length + "1890\n".length);
  assert.deepEqual(shown.entries?.map((e) => [e.name, e.mode]), [
    ["sub", "directory"],
    ["value.txt", "file"],
  ]);
  assert.deepEqual(shown.producers, [runs.report]);
  assert.deepEqual(shown.consumers, []);
});

Deno.test("showTarget() lists every run that read a shared output, and no entries for a blob", async () => {
  const { root } = await testStore();
  const base = await runsOf(root, "base");
  const policy = await runsOf(root, "policy");
  const shown = await artifact("base:x");
  assert.equal(shown.objectKind, "blob");
  assert.equal(shown.name, "x");
  assert.equal(shown.codec, "json");
  assert.equal(shown.size, 1);
  assert.equal(shown.entries, undefined);
  assert.deepEqual(shown.producers, [base.seed]);
  assert.equal(base.seed, policy.seed, "policy reused base's seed run");
  assert.deepEqual(
    [...shown.consumers].sort(),
    [base.label, base.scale, policy.scale].sort(),
  );
});

Deno.test("showTarget() shows an external input found by its path, with no producer", async () => {
  const { root, zones } = await testStore();
  const base = await runsOf(root, "base");
  const policy = await runsOf(root, "policy");
  const shown = await artifact(zones);
  assert.equal(shown.name, "zones");
  assert.equal(shown.codec, "file");
  assert.equal(shown.size, Deno.statSync(zones).size);
  assert.deepEqual(shown.producers, []);
  assert.deepEqual(
    [...shown.consumers].sort(),
    [base["grow@0"], base["grow@1"], policy["grow@0"], policy["grow@1"]].sort(),
  );
});

Deno.test("showTarget() reads the size of a stored blob no run names", async () => {
  const { root } = await testStore();
  const bytes = new TextEncoder().encode("not made by any run\n");
  const { id } = await query(
    root,
    Effect.gen(function* () {
      return yield* (yield* ObjectStore).putBlob(bytes);
    }),
  );
  const shown = await artifact(id);
  assert.equal(shown.name, "?");
  assert.equal(shown.objectKind, "blob");
  assert.equal(shown.size, bytes.length);
  assert.deepEqual([shown.producers, shown.consumers], [[], []]);
});

Deno.test("showTarget() fails with QueryError for a target that names nothing", async () => {
  const { root } = await testStore();
  const error = await query(root, Effect.flip(showTarget(await viewOf(root), "no-such-thing")));
  assert.equal(error._tag, "QueryError");
  assert.match(error.message, /^Cannot find "no-such-thing"/);
});
