// gc during a run: gc with a zero grace period runs over and over in one process
// while pipelines run in another; the pipeline completes, loses nothing, a re-run is
// all hits, and fsck is clean at the end.
//
// Each round, with the gc loop (_fixtures/gc_loop.ts) running throughout:
// 1. scenario "junk-<r>" runs one iteration of the pipeline in a variant of its own,
//    then "old-<r>" one iteration of the variant "new" will run, slowly (over 3.5 s);
//    then the parent points ref "hold" at old's record and deletes both scenario refs:
//    junk is garbage, old is kept by "hold" alone.
// 2. scenario "new-<r>" runs three iterations. Its first step is a hit on old's run
//    (hold keeps it); once that step has returned the pipeline deletes "hold", so gc
//    starts sweeping old's other runs while the pipeline looks them up — each must be
//    a hit it protected in time or a miss it recomputes, never a hit on something gc
//    then removes. gc spares objects written less than 2 s before a live session
//    started, so old's last run records are young when its first objects are not: a
//    hit on such a record must find the runs it links to kept with it. Every step body
//    waits until the gc loop has finished two more passes, so at least one whole pass
//    runs while the outputs of the steps before it are referenced by no ref, only by
//    the pipeline's writer session.
// 3. the same scenario again: every step a hit, the same output ids.
//
// Results are checked against crash_model.ts (the computation without cairn). No
// timing is asserted: the interleaving is forced by the gc pass count.
import assert from "node:assert/strict";
import { fsck } from "../../store/fsck.ts";
import { openStoreContext } from "../../store/object_store.ts";
import { hasObject } from "../../store/objects.ts";
import { readRef, updateRef } from "../../store/refs.ts";
import { expectedFinal } from "./_fixtures/crash_model.ts";
import {
  type Completed,
  type FixtureChild,
  killAll,
  labelsOf,
  type PipelineResult,
  readSideFile,
  spawnFixture,
  spawnPipeline,
} from "./_pipeline_child.ts";

const SCALE = Number(Deno.env.get("CAIRN_RELIABILITY_SCALE") ?? "1");
if (!(SCALE > 0)) throw new Error(`Cannot size the suite: CAIRN_RELIABILITY_SCALE="${SCALE}"`);
const ROUNDS = Math.max(1, Math.round(2 * SCALE));
const ITERATIONS = 3;

interface GcTotals {
  readonly passes: number;
  readonly objectsRemoved: number;
  readonly bytesRemoved: number;
  readonly indexEntriesRemoved: number;
  readonly tmpFilesRemoved: number;
  readonly youngKeptMax: number;
  readonly missing: number;
}

Deno.test("gc with zero grace running beside a pipeline removes nothing it needs", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-gc-run-" });
  const root = `${dir}/store`;
  const countFile = `${dir}/gc-count`;
  const t0 = performance.now();
  const figures = {
    passesDuringRuns: 0,
    stepsRun: 0,
    hitsFirst: 0,
    hitsRerun: 0,
    invocationsRerun: 0,
  };
  let totals: GcTotals | undefined;
  let gcLoop: FixtureChild<GcTotals> | undefined;
  const passes = () => Number(Deno.readTextFileSync(countFile));
  try {
    openStoreContext(root).session.close();
    gcLoop = spawnFixture<GcTotals>("gc_loop.ts", [root, countFile]);
    if (!(await gcLoop.started)) {
      assert.fail(`the gc loop did not start:\n${(await gcLoop.finished).stderr}`);
    }

    /** Runs the pipeline to the end; returns its result and its side-file lines. */
    const runPipeline = async (
      scenario: string,
      variant: number,
      iterations: number,
      env: Record<string, string> = {},
    ): Promise<{ result: PipelineResult; lines: Completed[] }> => {
      const sideFile = `${dir}/${scenario}-${crypto.randomUUID()}.side`;
      const child = spawnPipeline({ root, sideFile, scenario, variant, iterations, env });
      const end = await child.finished;
      assert.equal(end.status.code, 0, `${scenario} failed:\n${end.stderr}`);
      assert.equal(
        end.result?.final,
        expectedFinal(variant, iterations),
        `${scenario}: final state`,
      );
      const lines = readSideFile(sideFile);
      assert.deepEqual(lines.map((c) => c.label), labelsOf(iterations));
      return { result: end.result!, lines };
    };

    for (let r = 0; r < ROUNDS; r++) {
      const junk = await runPipeline(`junk-${r}`, 1000 + r, 1);
      // Spread over more than gc's 2 s margin before a live session's start, so that
      // when "new" starts, old's first objects are old and its last ones young.
      await runPipeline(`old-${r}`, r, 1, { STEP_MS: "700" });
      const ctx = openStoreContext(root, { create: false });
      try {
        const old = readRef(ctx.layout, `scenarios/old-${r}`)!;
        updateRef(ctx.layout, "hold", old, { message: "keep old until the pipeline found it" });
        updateRef(ctx.layout, `scenarios/old-${r}`, null, { message: "drop" });
        updateRef(ctx.layout, `scenarios/junk-${r}`, null, { message: "drop" });
      } finally {
        ctx.session.close();
      }

      const before = passes();
      const first = await runPipeline(`new-${r}`, r, ITERATIONS, {
        GC_COUNT_FILE: countFile,
        RELEASE_REF: "hold",
      });
      figures.passesDuringRuns += passes() - before;
      assert.ok(first.lines[0]!.hit, "the first step was a hit on old's run");
      figures.stepsRun += first.lines.filter((c) => !c.hit).length;
      figures.hitsFirst += first.lines.filter((c) => c.hit).length;

      const again = await runPipeline(`new-${r}`, r, ITERATIONS);
      figures.invocationsRerun += again.lines.length;
      figures.hitsRerun += again.lines.filter((c) => c.hit).length;
      assert.deepEqual(again.lines.filter((c) => !c.hit).map((c) => c.label), [], "re-run misses");
      assert.deepEqual(again.result.outputs, first.result.outputs, "the re-run's output ids");

      // Two more passes with no pipeline alive: junk goes (its field is its own bytes).
      const target = passes() + 2;
      while (passes() < target) await new Promise((resolve) => setTimeout(resolve, 5));
      const check = openStoreContext(root, { create: false });
      try {
        assert.ok(!hasObject(check, junk.result.outputs["field@0"]!.field!), "junk was collected");
        assert.equal(readRef(check.layout, "hold"), null);
      } finally {
        check.session.close();
      }
    }

    await gcLoop.closeStdin();
    const end = await gcLoop.finished;
    assert.equal(end.status.code, 0, `the gc loop failed:\n${end.stderr}`);
    totals = end.result!;

    const ctx = openStoreContext(root, { create: false });
    try {
      const report = fsck(ctx);
      assert.deepEqual(report.problems, [], "fsck at the end");
      assert.equal(report.refs, ROUNDS, "one scenario ref per round");
    } finally {
      ctx.session.close();
    }
    assert.equal(figures.hitsRerun, figures.invocationsRerun);
    assert.ok(totals.objectsRemoved > 0, "gc removed garbage");
  } finally {
    await killAll();
    Deno.removeSync(dir, { recursive: true });
    const s = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(
      [
        `gc-during-run suite: ${ROUNDS} rounds, scale ${SCALE}, ${s} s`,
        `  gc passes ${
          totals?.passes ?? "?"
        } (${figures.passesDuringRuns} during the first runs), ` +
        `objects removed ${totals?.objectsRemoved ?? "?"} ` +
        `(${((totals?.bytesRemoved ?? 0) / 2 ** 20).toFixed(1)} MiB), ` +
        `index entries removed ${totals?.indexEntriesRemoved ?? "?"}, ` +
        `absent roots met ${totals?.missing ?? "?"} (summed over passes: a hit that lost ` +
        `the race to gc stays a session root, and its step ran as a miss)`,
        `  first runs: steps run ${figures.stepsRun}, hits ${figures.hitsFirst}; ` +
        `re-runs: hits ${figures.hitsRerun} of ${figures.invocationsRerun}`,
      ].join("\n"),
    );
  }
});
