// Crash safety: a pipeline process killed with SIGKILL at random moments leaves a
// store that fsck finds clean, and the next run resumes with every step that had
// completed served from the cache and ends with the same outputs as a run never
// interrupted.
//
// The child (_fixtures/crash_pipeline.ts) runs seed, then per iteration a small
// Json step, a 2–8 MiB File, a Dir of nested files and a step reading both back,
// over ITERATIONS iterations. After each step invocation returns it appends
// "step@iteration hit|miss" to a side file outside the store and fsyncs it: what is
// known to have completed comes from there, not from the store under test.
//
// Per lane (two lanes on two stores, side by side), an episode starts a fresh store
// and kills child after child on it, each resuming where the last one stopped; then a
// child runs to the end, and that is the full check. Episodes last 2–16 kills, drawn
// at random, and one in five lasts a single kill: a sample of full checks right after
// one kill. A child that ends before its kill counts as a full check too.
//
// What keeps this honest:
// - The kill moments are drawn from a seeded RNG (the seed is printed; set
//   CAIRN_RELIABILITY_SEED to replay the delays) over the *remaining* work of the
//   child, estimated from an uninterrupted run's profile, measured from the moment its
//   program starts (after module loading). So kills land across store creation, code
//   identity, step bodies, ingest of multi-MiB files and trees, run records, index
//   appends and the scenario record and ref — not mostly in process start-up, nor
//   after the end. The histogram printed shows where they fell.
// - After every kill, fsck re-hashes every object (not quick) and checks that every
//   ref, tree and record link and index entry names a present object.
// - Every kill is checked for lost work, not only every N: the next child is itself a
//   re-run, and each step it reports must be a hit if an earlier child had completed it.
// - A full check compares every output id of every step with an uninterrupted run's,
//   and the final state with the computation done without cairn (crash_model.ts).
// - After each episode, gc (as if hours later) clears what the killed children left
//   (temp files, dead sessions, scratch directories), no lock file is left, and fsck
//   is still clean.
// - Nothing is timed: randomness is only in when the kill lands.
//
// What it does not cover: a crash of the machine. SIGKILL keeps what the process
// wrote in the page cache; losing that (objects are not fsynced by default) is the
// "short object" case objects.ts documents, which fsck reports and a re-run repairs.
//
// Size: CAIRN_RELIABILITY_SCALE multiplies the 200 kills (e.g. 10 for a soak run).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { fsck } from "../../store/fsck.ts";
import { gc } from "../../store/gc.ts";
import { openStoreContext } from "../../store/object_store.ts";
import { processIsAlive } from "../../store/_fs.ts";
import { expectedFinal } from "./_fixtures/crash_model.ts";
import {
  type Completed,
  type Finished,
  killAll,
  labelsOf,
  type PipelineResult,
  readSideFile,
  sleepUnless,
  spawnPipeline,
} from "./_pipeline_child.ts";

const SCALE = Number(Deno.env.get("CAIRN_RELIABILITY_SCALE") ?? "1");
if (!(SCALE > 0)) throw new Error(`Cannot size the suite: CAIRN_RELIABILITY_SCALE="${SCALE}"`);
const KILLS = Math.max(1, Math.round(200 * SCALE));
const SEED = Number(Deno.env.get("CAIRN_RELIABILITY_SEED") ?? Math.floor(Math.random() * 2 ** 32));
const LANES = 2;
const ITERATIONS = 2;
const MAX_EPISODE = 16;
const HOUR = 3_600_000;
const LABELS = labelsOf(ITERATIONS);

/** mulberry32: a small seeded RNG, uniform in [0, 1). */
const rng = (seed: number) => {
  let a = seed >>> 0;
  return (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

const figures = {
  kills: 0,
  episodes: 0,
  singleKillEpisodes: 0,
  fullChecks: 0,
  endedBeforeKill: 0,
  fsckRuns: 0,
  objectsChecked: 0,
  bytesChecked: 0,
  completedChecked: 0,
  lost: [] as string[],
  killsAt: Array<number>(LABELS.length + 1).fill(0),
  killsBeforeStore: 0,
  pidsReused: 0,
  tmpFilesRemoved: 0,
  deadSessionsRemoved: 0,
};

/** Every `*.lock` file under `root`, relative. */
const lockFiles = (root: string, base = ""): string[] =>
  [...Deno.readDirSync(`${root}/${base}`)].flatMap((e) => {
    const rel = base ? `${base}/${e.name}` : e.name;
    if (e.isDirectory) return lockFiles(root, rel);
    return e.name.endsWith(".lock") && rel !== "gc.lock" ? [rel] : [];
  });

/** fsck, in full; asserts the store is clean. */
const assertClean = (root: string, when: string) => {
  if (!existsSync(`${root}/format`)) {
    // Killed while creating the store: the next child must finish the job.
    figures.killsBeforeStore++;
    return;
  }
  const ctx = openStoreContext(root, { create: false });
  try {
    const report = fsck(ctx);
    figures.fsckRuns++;
    figures.objectsChecked += report.objects;
    figures.bytesChecked += report.bytes;
    assert.deepEqual(report.problems, [], `fsck ${when}`);
  } finally {
    ctx.session.close();
  }
};

/** Checks a child's own side-file lines against what earlier children completed. */
const checkResumed = (done: ReadonlySet<string>, mine: readonly Completed[], who: string) => {
  for (const { label, hit } of mine) {
    if (!done.has(label)) continue;
    figures.completedChecked++;
    if (!hit) figures.lost.push(`${label} (${who})`);
  }
};

const assertCompleted = (
  end: Finished<PipelineResult>,
  done: ReadonlySet<string>,
  mine: readonly Completed[],
  reference: PipelineResult,
  who: string,
) => {
  assert.equal(end.status.code, 0, `${who} failed:\n${end.stderr}`);
  assert.deepEqual(mine.map((c) => c.label), LABELS, `${who} reported every step once`);
  for (const label of done) {
    assert.ok(mine.find((c) => c.label === label)?.hit, `${who}: ${label} had completed`);
  }
  assert.equal(end.result?.final, reference.final, `${who}: the final state`);
  assert.deepEqual(end.result?.outputs, reference.outputs, `${who}: every output id`);
  figures.fullChecks++;
};

Deno.test("a pipeline killed with SIGKILL at random moments leaves a clean store and resumes losing nothing", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-crash-" });
  const t0 = performance.now();
  try {
    // An uninterrupted run: the outputs to expect and the profile the kill delays follow.
    const refSide = `${dir}/reference.side`;
    const ref = spawnPipeline({
      root: `${dir}/reference`,
      sideFile: refSide,
      scenario: "crash",
      variant: 0,
      iterations: ITERATIONS,
    });
    assert.ok(await ref.started, "the reference run started");
    const startedAt = performance.now();
    const refEnd = await ref.finished;
    const totalMs = performance.now() - startedAt;
    assert.equal(refEnd.status.code, 0, `the reference run failed:\n${refEnd.stderr}`);
    const reference = refEnd.result!;
    assert.equal(
      reference.final,
      expectedFinal(0, ITERATIONS),
      "cairn computes what the model does",
    );
    const profile = readSideFile(refSide);
    assert.deepEqual(profile.map((c) => c.label), LABELS);
    // Time from the program's start to each step's return, the first including start-up.
    const segment = new Map(profile.map((c, k) => [c.label, c.ms - (profile[k - 1]?.ms ?? 0)]));
    const tailMs = Math.max(20, totalMs - profile.at(-1)!.ms);
    const remainingMs = (done: ReadonlySet<string>) =>
      tailMs + LABELS.reduce(
        (sum, label, k) => sum + (k === 0 || !done.has(label) ? segment.get(label)! : 0),
        0,
      );

    const lane = async (l: number, kills: number) => {
      const random = rng(SEED + l * 0x9e3779b9);
      let made = 0;
      for (let episode = 0; made < kills; episode++) {
        figures.episodes++;
        const root = `${dir}/lane${l}-${episode}`;
        const side = `${dir}/lane${l}-${episode}.side`;
        const drawn = random() < 0.2 ? 1 : 2 + Math.floor(random() * (MAX_EPISODE - 1));
        const length = Math.min(kills - made, drawn);
        if (length === 1) figures.singleKillEpisodes++;
        let killed = 0;
        let ended = false;
        while (!ended) {
          const before = readSideFile(side);
          const done = new Set(before.map((c) => c.label));
          const who = `lane ${l} episode ${episode} child ${killed}`;
          const child = spawnPipeline({
            root,
            sideFile: side,
            scenario: "crash",
            variant: 0,
            iterations: ITERATIONS,
          });
          if (!(await child.started)) {
            assert.fail(`${who} did not start:\n${(await child.finished).stderr}`);
          }
          // The last child of the episode is not killed: it is the full check.
          if (killed < length) {
            const delay = random() * remainingMs(done);
            if (await sleepUnless(delay, child.finished)) child.kill();
          }
          const end = await child.finished;
          const mine = readSideFile(side).slice(before.length);
          checkResumed(done, mine, who);
          if (end.status.signal === "SIGKILL") {
            killed++;
            made++;
            figures.kills++;
            figures.killsAt[new Set([...done, ...mine.map((c) => c.label)]).size]!++;
            assertClean(root, `after ${who} was killed`);
          } else {
            if (killed < length) figures.endedBeforeKill++;
            assertCompleted(end, done, mine, reference, who);
            assertClean(root, `after ${who} completed`);
            ended = true;
          }
        }
        // What the killed children left behind goes at the next gc, once it is old.
        const ctx = openStoreContext(root, { create: false });
        try {
          const report = gc(ctx, { nowMs: Date.now() + 2 * HOUR });
          assert.equal(report.missing, 0);
          figures.tmpFilesRemoved += report.tmpFilesRemoved;
          figures.deadSessionsRemoved += report.deadSessionsRemoved;
          // Every child is dead, so gc removed every session file — unless the host has
          // since given a dead child's pid to another process (pids wrap at 32768 on
          // Linux), which makes that session look alive and its start hold the cutoff.
          const sessions = [...Deno.readDirSync(ctx.layout.sessions)].map((e) => e.name);
          const reused = sessions.filter((n) => processIsAlive(Number(/-(\d+)-s-/.exec(n)?.[1])));
          assert.deepEqual(sessions, reused, "session files of dead processes left");
          if (reused.length > 0) figures.pidsReused += reused.length;
          else {
            const left = [...Deno.readDirSync(ctx.layout.tmp)].map((e) => e.name);
            assert.deepEqual(left.filter((n) => n !== "sessions"), [], "tmp/ left after gc");
          }
          // A killed holder's lock was broken by the next writer, not left to block.
          assert.deepEqual(lockFiles(ctx.layout.root), [], "lock files left");
        } finally {
          ctx.session.close();
        }
        assertClean(root, `after gc of lane ${l} episode ${episode}`);
        Deno.removeSync(root, { recursive: true });
      }
    };
    await Promise.all(
      Array.from(
        { length: LANES },
        (_, l) => lane(l, Math.floor(KILLS / LANES) + (l < KILLS % LANES ? 1 : 0)),
      ),
    );
    assert.deepEqual(figures.lost, [], "steps that had completed and ran again");
    assert.equal(figures.kills, KILLS);
  } finally {
    await killAll();
    Deno.removeSync(dir, { recursive: true });
    const s = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(
      [
        `crash suite: seed ${SEED} (CAIRN_RELIABILITY_SEED=${SEED} replays the delays), scale ${SCALE}, ${s} s`,
        `  kills ${figures.kills} in ${figures.episodes} episodes on ${LANES} lanes ` +
        `(${figures.singleKillEpisodes} of a single kill); full checks ${figures.fullChecks} ` +
        `(${figures.endedBeforeKill} ended before their kill)`,
        // Steps complete in order, so k completed means LABELS[k] was running.
        `  kills by what was running: ${
          figures.killsAt.map((n, k) => `${LABELS[k] ?? "end (scenario record, ref)"} ${n}`).join(
            ", ",
          )
        }`,
        `  fsck runs ${figures.fsckRuns}, objects checked ${figures.objectsChecked} ` +
        `(${(figures.bytesChecked / 2 ** 30).toFixed(2)} GiB re-hashed); ` +
        `${figures.killsBeforeStore} kills before the store was made`,
        `  completed steps checked as hits ${figures.completedChecked}, lost ${figures.lost.length}`,
        `  gc after episodes: ${figures.tmpFilesRemoved} temp files and scratch directories, ` +
        `${figures.deadSessionsRemoved} dead sessions removed` +
        (figures.pidsReused > 0 ? ` (${figures.pidsReused} kept: pid reused)` : ""),
      ].join("\n"),
    );
  }
});
