// `cairn sql`: the documented views as a table or JSON, each run's cache key and host
// among them, and a store whose summaries predate those filled in by `cairn reindex`.
import assert from "node:assert/strict";
import * as Effect from "effect/Effect";
import { decodeRunRecord, type RunRecord } from "../../lib/model/run_record.ts";
import { LINEAGE_INDEX, lineageEntries, summaryOfRecord } from "../../lib/model/lineage_entry.ts";
import {
  assertOneErrorLine,
  cairn,
  cairnJson,
  cairnOk,
  inStore,
  runDemo,
  withTempDir,
} from "./_fixture.ts";

type Row = { id: string; step: string; key: string | null; host: string | null };

const KEYS = ["sql", "SELECT id, step, key, host FROM runs ORDER BY id"];

// Every run record of the demo's scenario, by run id.
const recordsOf = (root: string, runs: readonly string[]) =>
  inStore(root, (store) =>
    Effect.gen(function* () {
      const out = new Map<string, RunRecord>();
      for (const run of runs) out.set(run, decodeRunRecord(yield* store.readRecord(run))!);
      return out;
    }));

// The demo's store under `dir`, its runs (in the order they were made) and their records.
const demo = async (dir: string) => {
  const root = `${dir}/store`;
  const ran = await runDemo(root, { rate: 1.1, n: 2 });
  const runs = [...new Set(ran.invocations.map((i) => i.run))];
  return { root, runs, records: await recordsOf(root, runs) };
};

Deno.test("sql shows each run's cache key and host as its record has them", async () => {
  await withTempDir(async (dir) => {
    const { root, runs, records } = await demo(dir);
    const rows = await cairnJson<Row[]>([...KEYS, "--store", root]);
    assert.deepEqual(
      rows,
      [...runs].sort().map((id) => ({
        id,
        step: records.get(id)!.step,
        key: records.get(id)!.key,
        host: records.get(id)!.host,
      })),
    );
    assert.equal(new Set(rows.map((r) => r.key)).size, rows.length, "a key per run");

    // The table: a header, a line per row, the count right-aligned under its header.
    const text = await cairnOk([
      "sql",
      "SELECT step, count(*) AS runs FROM runs GROUP BY step ORDER BY step",
      "--store",
      root,
    ]);
    const lines = text.trimEnd().split("\n");
    const steps = [...new Set([...records.values()].map((r) => r.step))].sort();
    assert.equal(lines.length, 1 + steps.length, text);
    assert.match(lines[0]!, /^step\s+runs$/);
    for (const [i, step] of steps.entries()) {
      const n = [...records.values()].filter((r) => r.step === step).length;
      assert.match(lines[i + 1]!, new RegExp(`^${step}\\s+${n}$`));
      assert.equal(lines[i + 1]!.length, lines[0]!.length, "numbers end under their header");
    }
    assert.equal(
      await cairnOk(["sql", "SELECT id FROM runs WHERE step = 'nope'", "--store", root]),
      "no rows\n",
    );
    assertOneErrorLine(
      await cairn(["sql", "DELETE FROM run_summaries", "--store", root]),
      /Cannot run the query: it is not a query/,
    );
  });
});

Deno.test("a store whose summaries predate the key and host: null in sql until reindex fills them, runs in the same order", async () => {
  await withTempDir(async (dir) => {
    const { root, runs, records } = await demo(dir);
    const listed = await cairnJson(["runs", "--store", root]);
    // The lineage log as cairn wrote it before summaries kept a run's key and host.
    Deno.removeSync(`${root}/index/${LINEAGE_INDEX}.log`);
    await inStore(root, (store) =>
      Effect.forEach(runs, (run) => {
        const { key: _k, host: _h, ...older } = summaryOfRecord(records.get(run)!);
        return store.index(LINEAGE_INDEX).appendMany(lineageEntries(run, older));
      }));
    const before = await cairnJson<Row[]>([...KEYS, "--store", root]);
    assert.deepEqual(before.map((r) => [r.key, r.host]), runs.map(() => [null, null]));
    assert.deepEqual(await cairnJson(["runs", "--store", root]), listed);

    const report = await cairnJson<{ lineageEntries: number }>(["reindex", "--store", root]);
    assert.equal(report.lineageEntries, runs.length, "one new summary per run");
    const after = await cairnJson<Row[]>([...KEYS, "--store", root]);
    assert.deepEqual(
      after.map((r) => [r.id, r.key, r.host]),
      [...runs].sort().map((id) => [id, records.get(id)!.key, records.get(id)!.host]),
    );
    assert.deepEqual(await cairnJson(["runs", "--store", root]), listed, "the same runs, in order");
    assert.equal((await cairn(["fsck", "--store", root])).code, 0);
  });
});
