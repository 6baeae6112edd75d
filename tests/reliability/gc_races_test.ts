// gc racing the other writers of a store: a scenario run finishing while
// `gc --keep-last` reads the histories, `reindex` while gc sweeps, and `reindex` after
// a gc that was killed half-way.
//
// The interleavings are forced, not hoped for: the store service the query runs
// over is the real one, with one method wrapped to do the other party's work at the
// worst moment (a scenario run in its own store session, which it closes, between
// the policy's reading of the histories and gc; a gc pass between reindex's reading
// of the records and its appends). The killed gc is the state such a gc leaves: the
// index entries of the runs it was about to remove already dropped, some of those
// runs' outputs removed, the run records not yet.
import assert from "node:assert/strict";
import { Effect, Layer } from "effect";
import { collectGarbage } from "../../lib/query/collect_garbage.ts";
import { reindex } from "../../lib/query/reindex.ts";
import { LINEAGE_INDEX } from "../../lib/model/lineage_entry.ts";
import { AppendIndex } from "../../store/append_index.ts";
import { fsck } from "../../store/fsck.ts";
import { gc } from "../../store/gc.ts";
import { objectPath } from "../../store/layout.ts";
import { ObjectStore, type ObjectStoreApi, openStoreContext } from "../../store/object_store.ts";
import { hasObject, readVerified } from "../../store/objects.ts";
import { decodeRecord } from "../../store/record.ts";
import { readRef, updateRef } from "../../store/refs.ts";
import { runDemo, withTempDir } from "../cli/_fixture.ts";
import { killAll, spawnFixture } from "./_pipeline_child.ts";

const HOUR = 3_600_000;
const figures = { cases: 0, forcedInterleavings: 0, churnPasses: 0, lost: 0, dangling: 0 };

/** Runs `effect` over the store at `root` with `wrap` applied to the store service. */
const overWrapped = <A, E>(
  root: string,
  wrap: (store: ObjectStoreApi) => ObjectStoreApi,
  effect: Effect.Effect<A, E, ObjectStore>,
): Promise<A> =>
  Effect.runPromise(
    Effect.provide(
      effect,
      Layer.effect(
        ObjectStore,
        Effect.gen(function* () {
          return wrap(yield* ObjectStore);
        }),
      ).pipe(
        Layer.provide(ObjectStore.layer({ root, create: false })),
      ),
    ),
  );

const fsckProblems = (root: string) => {
  const ctx = openStoreContext(root, { create: false });
  try {
    return fsck(ctx).problems;
  } finally {
    ctx.session.close();
  }
};

Deno.test("gc --keep-last keeps a scenario record written after it read the histories", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    await runDemo(root, { rate: 1.1, n: 2 });
    await runDemo(root, { rate: 1.2, n: 2 });
    let written: string | undefined;
    // The scenario run finishes (record, ref, session closed) after the policy has read
    // the histories and before gc takes its lock.
    const wrap = (store: ObjectStoreApi): ObjectStoreApi => ({
      ...store,
      gc: (options) =>
        Effect.promise(async () => {
          written = (await runDemo(root, { rate: 1.3, n: 2 })).record;
          figures.forcedInterleavings++;
        }).pipe(Effect.andThen(store.gc(options))),
    });
    await overWrapped(root, wrap, collectGarbage({ keepLast: 1, graceMs: 0 }));
    const ctx = openStoreContext(root, { create: false });
    try {
      assert.equal(readRef(ctx.layout, "scenarios/demo"), written);
      const kept = hasObject(ctx, written!);
      if (!kept) figures.lost++;
      assert.ok(kept, "the record the ref names was swept");
    } finally {
      ctx.session.close();
    }
    assert.deepEqual(fsckProblems(root), []);
    // The next gc trims the history as asked, and the newest run is all hits after it.
    await overWrapped(root, (s) => s, collectGarbage({ keepLast: 1, graceMs: 0 }));
    assert.deepEqual(fsckProblems(root), []);
    const again = await runDemo(root, { rate: 1.3, n: 2 });
    assert.ok(again.invocations.every((i) => i.hit), "the kept scenario re-runs as all hits");
    figures.cases++;
  });
});

Deno.test("reindex during gc leaves no index entry naming a removed run, and gc drops any dangling entry", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const ran = await runDemo(root, { rate: 1.1, n: 3 });
    const ctx = openStoreContext(root, { create: false });
    try {
      // The scenario is dropped: its runs are garbage. The derived indexes are lost.
      updateRef(ctx.layout, "scenarios/demo", null, { message: "dropped" });
      Deno.removeSync(`${ctx.layout.logs}/scenarios/demo`);
      Deno.removeSync(`${ctx.layout.index}/${LINEAGE_INDEX}.log`);
      Deno.removeSync(`${ctx.layout.index}/cache.log`);
    } finally {
      ctx.session.close();
    }
    // gc runs between reindex's reading of the run records and its appends.
    let removed = 0;
    const wrap = (store: ObjectStoreApi): ObjectStoreApi => ({
      ...store,
      index: (name) => {
        const handle = store.index(name);
        return {
          ...handle,
          appendMany: (entries) =>
            Effect.sync(() => {
              if (removed > 0) return;
              const collector = openStoreContext(root, { create: false });
              try {
                removed = gc(collector, { graceMs: 0, nowMs: Date.now() + HOUR }).objectsRemoved;
                figures.forcedInterleavings++;
              } finally {
                collector.session.close();
              }
            }).pipe(Effect.andThen(handle.appendMany(entries))),
        };
      },
      appendIfComplete: (entries) =>
        Effect.sync(() => {
          if (removed > 0) return;
          const collector = openStoreContext(root, { create: false });
          try {
            removed = gc(collector, { graceMs: 0, nowMs: Date.now() + HOUR }).objectsRemoved;
            figures.forcedInterleavings++;
          } finally {
            collector.session.close();
          }
        }).pipe(Effect.andThen(store.appendIfComplete(entries))),
    });
    await overWrapped(root, wrap, reindex);
    assert.ok(removed >= ran.invocations.length, `gc removed ${removed} objects`);
    const problems = fsckProblems(root).filter((p) => p.kind === "dangling-index");
    figures.dangling += problems.length;
    assert.deepEqual(problems, [], "index entries naming removed runs");

    // An entry left dangling by anything else (a valid checksum, a run long gone):
    // the next gc drops it, though it removes no object in that pass.
    const planted = openStoreContext(root, { create: false });
    try {
      const cache = new AppendIndex(planted.layout, "cache");
      cache.append("k".repeat(64), `${ran.invocations[0]!.run} {}`);
      cache.close();
      assert.equal(fsck(planted).problems.filter((p) => p.kind === "dangling-index").length, 1);
      const report = gc(planted, { graceMs: 0, nowMs: Date.now() + HOUR });
      assert.equal(report.indexEntriesRemoved, 1);
      assert.deepEqual(fsck(planted).problems, []);
    } finally {
      planted.session.close();
    }
    figures.cases += 2;
  });
});

Deno.test("reindex after a gc killed half-way skips runs whose outputs are gone, and the pipeline re-runs them", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const ran = await runDemo(root, { rate: 1.1, n: 3 });
    const ctx = openStoreContext(root, { create: false });
    let gone = 0;
    try {
      updateRef(ctx.layout, "scenarios/demo", null, { message: "dropped" });
      Deno.removeSync(`${ctx.layout.logs}/scenarios/demo`);
      // What the killed gc had done: index entries of the doomed runs dropped (here,
      // the whole files), the outputs of some runs removed, the run records still there.
      Deno.removeSync(`${ctx.layout.index}/${LINEAGE_INDEX}.log`);
      Deno.removeSync(`${ctx.layout.index}/cache.log`);
      for (const invocation of ran.invocations.filter((i) => i.step === "smooth")) {
        const record = decodeRecord(readVerified(ctx, invocation.run, "record"));
        const outputs = record.outputs as Record<string, { id: string }>;
        for (const { id } of Object.values(outputs)) {
          Deno.removeSync(objectPath(ctx.layout, id));
          gone++;
        }
      }
    } finally {
      ctx.session.close();
    }
    assert.ok(gone > 0);
    const report = await overWrapped(root, (s) => s, reindex);
    // One more iteration than before: its first step reads smooth@2's output.
    const again = await runDemo(root, { rate: 1.1, n: 4 });
    const fresh = await runDemo(`${dir}/fresh`, { rate: 1.1, n: 4 });
    assert.equal(again.final, fresh.final, "the extended run computes what a fresh one does");
    const reran = again.invocations.filter((i) => !i.hit).map((i) => `${i.step}@${i.iteration}`);
    for (const i of [0, 1, 2]) assert.ok(reran.includes(`smooth@${i}`), `smooth@${i} ran again`);
    assert.equal(report.runs, ran.invocations.length);
    // smooth@i's runs lost their outputs; grow@(i+1) read them: its closure is incomplete too.
    assert.ok(report.incomplete >= 3, `skipped ${report.incomplete} incomplete runs`);
    assert.deepEqual(fsckProblems(root).filter((p) => p.kind === "dangling-index"), []);
    figures.cases++;
  });
});

Deno.test("gc passes beside a process updating a ref as fast as it can all succeed (temp files vanish under gc)", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const ctx = openStoreContext(root);
    try {
      // Young files that every pass lists and looks at, which widens the moment between
      // gc's listing of tmp/ and its look at each entry; the ref's temp files come and
      // go meanwhile.
      const later = new Date(Date.now() + HOUR);
      for (let i = 0; i < 2000; i++) {
        const path = `${ctx.layout.tmp}/young-${i}`;
        Deno.writeTextFileSync(path, "");
        Deno.utimeSync(path, later, later);
      }
      const churn = spawnFixture<{ updates: number }>("ref_churn.ts", [root]);
      try {
        if (!(await churn.started)) assert.fail((await churn.finished).stderr);
        let passes = 0;
        const failures: string[] = [];
        const until = performance.now() + 2000;
        while (performance.now() < until) {
          try {
            gc(ctx, { graceMs: 0, reflogExpiryMs: 0 });
          } catch (e) {
            failures.push(String(e));
          }
          passes++;
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
        await churn.closeStdin();
        const end = await churn.finished;
        assert.equal(end.status.code, 0, end.stderr);
        figures.churnPasses += passes;
        console.log(
          `gc-races suite: ${passes} gc passes beside ${end.result!.updates} ref updates, ` +
            `${failures.length} failed`,
        );
        assert.deepEqual(failures.slice(0, 3), [], `${failures.length} of ${passes} passes failed`);
        assert.ok(end.result!.updates > 100);
      } finally {
        await killAll();
      }
    } finally {
      ctx.session.close();
    }
    figures.cases++;
  });
});

Deno.test("gc_races_test: figures", () => {
  console.log(
    `gc-races suite: ${figures.cases} cases, ${figures.forcedInterleavings} forced interleavings, ` +
      `${figures.churnPasses} gc passes beside ref updates: ` +
      `${figures.lost} records lost, ${figures.dangling} dangling index entries`,
  );
});
