// `cairn scenarios`: each scenario with its history, newest first.
import assert from "node:assert/strict";
import type { HistoryRow } from "../../cli/scenarios.ts";
import { cairnJson, cairnOk, runDemo, short, withTempDir } from "./_fixture.ts";

Deno.test("scenarios shows each history newest first with hits and misses", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const first = await runDemo(root, { rate: 1.1, n: 2 });
    const second = await runDemo(root, { rate: 1.1, n: 3 });
    const other = await runDemo(root, { rate: 1.1, n: 1, name: "other" });
    const store = ["--store", root];

    const json = await cairnJson<{ name: string; history: HistoryRow[] }[]>([
      "scenarios",
      ...store,
    ]);
    assert.deepEqual(json.map((s) => s.name), ["demo", "other"]);
    const demo = json[0]!.history;
    assert.deepEqual(demo.map((h) => h.id), [second.record, first.record]);
    assert.deepEqual(demo.map((h) => [h.hits, h.misses]), [[5, 2], [0, 5]]);
    assert.deepEqual(json[1]!.history.map((h) => [h.id, h.hits, h.misses]), [[other.record, 3, 0]]);

    const text = await cairnOk(["scenarios", ...store]);
    assert.match(text, /^demo {2}\(2 records\)$/m);
    assert.match(text, new RegExp(`^  ${short(second.record)}  \\S+  ok +5 +2 `, "m"));
    assert.match(text, new RegExp(`^  ${short(first.record)}  \\S+  ok +0 +5 `, "m"));
    const limited = await cairnJson<{ history: HistoryRow[] }[]>([
      "scenarios",
      "--limit",
      "1",
      ...store,
    ]);
    assert.deepEqual(limited.map((s) => s.history.length), [1, 1]);
  });
});

Deno.test("scenarios shows how each record's loops ended: converged, not converged, or a count", async () => {
  const { Effect } = await import("effect");
  const { iterate, Pipeline, scenario } = await import("../../mod.ts");
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const loop = (max: number) =>
      scenario(
        "settle",
        {},
        Effect.gen(function* () {
          yield* iterate({ max, until: (_, next) => next >= 3 }, 0, (n) => Effect.succeed(n + 1));
          yield* iterate({ times: 2 }, 0, (n) => Effect.succeed(n + 1));
        }),
      );
    await Effect.runPromise(loop(10).pipe(Effect.provide(Pipeline.layerDisk({ root }))));
    await Effect.runPromise(loop(2).pipe(Effect.provide(Pipeline.layerDisk({ root }))));
    const json = await cairnJson<{ name: string; history: HistoryRow[] }[]>([
      "scenarios",
      "--store",
      root,
    ]);
    assert.deepEqual(json[0]!.history.map((h) => h.loops), [
      [{ iterations: 2, of: 2, converged: false }, { iterations: 2, of: 2, converged: null }],
      [{ iterations: 3, of: 10, converged: true }, { iterations: 2, of: 2, converged: null }],
    ]);
    const text = await cairnOk(["scenarios", "--store", root]);
    assert.match(text, /loops\s*$/m);
    assert.match(text, /not converged 2\/2, 2\s*$/m);
    assert.match(text, / {2}converged 3\/10, 2\s*$/m);
  });
});
