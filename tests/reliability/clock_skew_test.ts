// Clock skew: the process's clock and the file system's disagree (NFS, containers,
// VMs). cairn must judge every age on the file system's clock — "now" is the mtime
// of a file it has just written — never on the process clock. Each case runs the
// child processes under `faketime` at +5 s and at −5 s (see _faketime.ts).
//
// - Stat cache: with the process clock 5 s ahead, a file rewritten with the same
//   size and mtime within the racy window was served stale (a false hit); 5 s
//   behind, a file unchanged for 2.6 s was still re-hashed.
// - gc: with the file system 5 s behind the host, a gc with 2 s of grace swept a
//   running pipeline's fresh outputs and its scratch directory (the pipeline then
//   failed); 5 s ahead, garbage older than the grace period on the file system's
//   clock was kept.
// - Locks: a process whose clock is 40 s ahead took a live holder's fresh lock for
//   one older than the 30 s staleness limit, and broke it.
import assert from "node:assert/strict";
import { fsck } from "../../store/fsck.ts";
import { openStoreContext } from "../../store/object_store.ts";
import { hasObject, putBytes } from "../../store/objects.ts";
import { readRef } from "../../store/refs.ts";
import { acquireLock, releaseLock } from "../../store/lock_file.ts";
import { lstatOrUndefined } from "../../store/_fs.ts";
import { skewedOrSkip } from "./_faketime.ts";
import { killAll, spawnFixture } from "./_pipeline_child.ts";

const OFFSETS = [5, -5];
const GRACE_MS = 2000;
const figures = {
  runs: 0,
  staleServed: 0,
  needlessHashes: 0,
  lost: 0,
  garbageKept: 0,
  locksBroken: 0,
};

interface StatCacheResult {
  readonly attempts: number;
  readonly stale?: { first: string; second: string; hashed: boolean; expected: string };
  readonly settled: { first: boolean; second: boolean };
  readonly clockSkewMs: number;
}

for (const seconds of OFFSETS) {
  Deno.test(`stat cache with the process clock ${seconds} s off the file system's: no stale hit, no needless re-hash`, async () => {
    const skew = skewedOrSkip(seconds, "the stat-cache clock-skew test");
    if (!skew) return;
    const dir = Deno.makeTempDirSync({ prefix: "cairn-skew-stat-" });
    try {
      const child = spawnFixture<StatCacheResult>(
        "skewed_stat_cache.ts",
        [`${dir}/store`, dir],
        skew.env,
        skew.wrapper,
      );
      const end = await child.finished;
      assert.equal(end.status.code, 0, end.stderr);
      const result = end.result!;
      assert.ok(Math.abs(result.clockSkewMs - seconds * 1000) < 1000, `skew ${result.clockSkewMs}`);
      assert.ok(result.stale, `the rewrite never fit one second in ${result.attempts} attempts`);
      figures.runs++;
      if (result.stale.second !== result.stale.expected) figures.staleServed++;
      if (result.settled.second) figures.needlessHashes++;
      assert.equal(result.stale.second, result.stale.expected, "the rewritten file's id");
      assert.equal(result.stale.hashed, true);
      assert.equal(result.settled.first, true);
      assert.equal(result.settled.second, false, "a file unchanged for 2.6 s was hashed again");
    } finally {
      await killAll();
      Deno.removeSync(dir, { recursive: true });
    }
  });
}

for (const seconds of OFFSETS) {
  Deno.test(`gc with host clocks ${seconds} s off the file system's: a running pipeline loses nothing, old garbage goes`, async () => {
    const skew = skewedOrSkip(seconds, "the gc clock-skew test");
    if (!skew) return;
    const dir = Deno.makeTempDirSync({ prefix: "cairn-skew-gc-" });
    const root = `${dir}/store`;
    try {
      // Garbage written (by a process now gone) before the pipeline starts.
      const ctx = openStoreContext(root);
      const junk = putBytes(ctx, "blob", new TextEncoder().encode("garbage\n")).id;
      ctx.session.close();

      const pipeline = spawnFixture<{ record: string; tree: string }>(
        "skew_pipeline.ts",
        [root],
        skew.env,
        skew.wrapper,
      );
      if (!(await pipeline.lineMatching(/^waiting$/))) {
        assert.fail(`the pipeline ended early:\n${(await pipeline.finished).stderr}`);
      }
      // Everything the pipeline has written is now older than the grace period.
      await new Promise((resolve) => setTimeout(resolve, GRACE_MS + 1500));
      const during = spawnFixture("gc_once.ts", [root, String(GRACE_MS)], skew.env, skew.wrapper);
      const duringEnd = await during.finished;
      assert.equal(duringEnd.status.code, 0, duringEnd.stderr);
      await pipeline.send("go");
      const end = await pipeline.finished;
      figures.runs++;
      if (end.status.code !== 0) figures.lost++;
      assert.equal(end.status.code, 0, `the pipeline failed after gc ran:\n${end.stderr}`);

      // With the pipeline gone, a second pass: the garbage is older than the grace
      // period on the file system's clock, and must go.
      const after = spawnFixture("gc_once.ts", [root, String(GRACE_MS)], skew.env, skew.wrapper);
      assert.equal((await after.finished).status.code, 0);
      const check = openStoreContext(root, { create: false });
      try {
        assert.deepEqual(fsck(check).problems, [], "fsck after both passes");
        assert.equal(readRef(check.layout, "scenarios/skew"), end.result!.record);
        assert.ok(hasObject(check, end.result!.tree), "the Dir output");
        if (hasObject(check, junk)) figures.garbageKept++;
        assert.equal(hasObject(check, junk), false, "garbage 3.5 s old (file system) was kept");
      } finally {
        check.session.close();
      }
    } finally {
      await killAll();
      Deno.removeSync(dir, { recursive: true });
    }
  });
}

Deno.test("a lock held by a live process is not broken as stale by a process whose clock is 40 s ahead", async () => {
  const skew = skewedOrSkip(40, "the lock clock-skew test");
  if (!skew) return;
  const dir = Deno.makeTempDirSync({ prefix: "cairn-skew-lock-" });
  try {
    const held = acquireLock(`${dir}/ref`, { trashDir: dir });
    try {
      const child = spawnFixture<{ outcome: string }>(
        "skewed_lock.ts",
        [`${dir}/ref`, dir],
        skew.env,
        skew.wrapper,
      );
      const end = await child.finished;
      assert.equal(end.status.code, 0, end.stderr);
      figures.runs++;
      if (end.result?.outcome !== "busy") figures.locksBroken++;
      assert.equal(end.result?.outcome, "busy", "the live holder's fresh lock was broken");
      assert.equal(lstatOrUndefined(held.path)?.ino, held.ino, "the lock is still the holder's");
    } finally {
      releaseLock(held);
    }
  } finally {
    await killAll();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("clock_skew_test: figures", () => {
  console.log(
    `clock-skew suite: ${figures.runs} skewed runs (±5 s): ${figures.staleServed} stale hits, ` +
      `${figures.needlessHashes} needless re-hashes, ${figures.lost} pipelines broken by gc, ` +
      `${figures.garbageKept} garbage objects kept past the grace period, ` +
      `${figures.locksBroken} live locks broken`,
  );
});
