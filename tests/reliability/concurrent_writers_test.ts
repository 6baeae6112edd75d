// Concurrent writers: 8 processes run overlapping pipelines on one store, 1,000 step
// invocations each, started together. Every step key of the shared chains is computed
// by all of them at once (same code, config and inputs), half are shared by groups of
// four, the rest are each process's own (concurrent_plan.ts); scenarios of the same
// name race for one ref; after each scenario every process increments one shared
// counter ref by compare-and-swap and moves a ref of its own.
//
// Each worker writes a manifest, outside the store, of what it did and got. The test
// then requires: every worker exited 0 and printed nothing on stderr; every output
// has the value the plan predicts and reads back verified; every run is recorded and
// every index entry it wrote (lineage `run:`, `step:`, `produced:`, `consumed:`; the
// cache key → run) is found, as often as it was written, and nothing else is there;
// each plan position has one key in every process; every scenario execution is
// recorded once, in its ref's reflog and parent chain; the counter's reflog holds
// exactly the successful updates as one unbroken chain in which each counter record
// was computed from the one it replaced; fsck finds nothing. It prints its figures.
//
// `CAIRN_RELIABILITY_SCALE` multiplies the steps per process. The default, 1, is the
// full 1,000 steps: about 10 s on 2 idle cores, 30–40 s on a busy machine. A soak run
// sets e.g. 5 (5,000 steps per process, ~1.5 min of work).
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Json } from "../../lib/pipeline/codecs/json.ts";
import { lineageEntries, summaryOfRecord } from "../../lib/model/lineage_entry.ts";
import { encodeCacheValue } from "../../lib/model/cache_entry.ts";
import { decodeRunRecord } from "../../lib/model/run_record.ts";
import { AppendIndex } from "../../store/append_index.ts";
import { fsck } from "../../store/fsck.ts";
import { hashObject } from "../../store/object_id.ts";
import { openStoreContext } from "../../store/object_store.ts";
import { identify, readVerified, type StoreContext } from "../../store/objects.ts";
import { decodeRecord, type StoreRecord } from "../../store/record.ts";
import { readRef, readReflog, type ReflogEntry } from "../../store/refs.ts";
import { listObjects } from "../../store/_walk.ts";
import {
  COUNTER_REF,
  type Manifest,
  type ManifestInvocation,
  plannedSteps,
  planOf,
  type ScenarioPlan,
  STEPS_PER_SCENARIO,
  workerRef,
} from "./_fixtures/concurrent_plan.ts";
import { type ScriptChild, spawnScript } from "../_child_process.ts";

const PROJECT = fileURLToPath(new URL("../../", import.meta.url));
const WORKER = fileURLToPath(new URL("./_fixtures/concurrent_worker.ts", import.meta.url));
const PROCESSES = 8;
const SCALE = Number(Deno.env.get("CAIRN_RELIABILITY_SCALE") ?? "1") || 1;
const SCENARIOS = Math.max(2, Math.round((1000 * SCALE) / STEPS_PER_SCENARIO));
const STEPS = SCENARIOS * STEPS_PER_SCENARIO;
const RUN_ID = /^[0-9a-f]{64}$/;

// ---------------------------------------------------------------------------
// Worker processes

interface Worker extends ScriptChild {
  /** The next stdout line, or undefined at end of output. */
  readonly nextLine: () => Promise<string | undefined>;
}

const spawnWorker = (root: string, worker: number, manifest: string): Worker => {
  const child = spawnScript(WORKER, [root, String(worker), String(SCENARIOS), manifest]);
  return {
    ...child,
    nextLine: async () => {
      const next = await child.lines.next();
      return next.done ? undefined : next.value;
    },
  };
};

// Deno's own notice when processes start together, not the worker's output.
const DENO_NOTICE = /^Blocking waiting for file lock on /;

// Colour codes, which Deno's notices carry.
// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** The stderr lines a worker wrote (an error, "could not record scenario"), without Deno's notices. */
const ownLines = (stderr: string): string[] =>
  stderr.replace(ANSI, "").split("\n").filter((l) => l !== "" && !DENO_NOTICE.test(l));

/** Loads the worker's modules once, so that the workers do not race to write deno.lock. */
const warmUp = async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["cache", "--config", `${PROJECT}deno.json`, WORKER],
    cwd: PROJECT,
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
};

/** Starts the workers together, waits for all of them and returns their manifests. */
const runWorkers = async (root: string, dir: string): Promise<Manifest[]> => {
  const workers = Array.from(
    { length: PROCESSES },
    (_, w) => spawnWorker(root, w, `${dir}/manifest-${w}.json`),
  );
  try {
    for (const [w, worker] of workers.entries()) {
      const line = await worker.nextLine();
      if (line !== "ready") assert.fail(`worker ${w} did not start:\n${await worker.stderr}`);
    }
    await Promise.all(workers.map(async (worker) => {
      await worker.send("go");
      await worker.closeStdin();
    }));
    return await Promise.all(workers.map(async (worker, w) => {
      const line = await worker.nextLine();
      const status = await worker.process.status;
      const stderr = await worker.stderr;
      assert.equal(status.code, 0, `worker ${w} failed:\n${stderr}`);
      assert.deepEqual(ownLines(stderr), [], `worker ${w} wrote to stderr`);
      assert.equal(line, "done", `worker ${w} did not finish`);
      return JSON.parse(Deno.readTextFileSync(`${dir}/manifest-${w}.json`)) as Manifest;
    }));
  } finally {
    for (const { process } of workers) {
      try {
        process.kill("SIGKILL");
      } catch {
        // It has exited already.
      }
      await process.status;
    }
  }
};

// ---------------------------------------------------------------------------
// Checks

const readRecord = (ctx: StoreContext, id: string): StoreRecord =>
  decodeRecord(readVerified(ctx, id, "record"), id);

/** Where an invocation sits in the plan: processes running the same slot share its key. */
const slotOf = (plan: ScenarioPlan, step: string, iteration: number | null): string =>
  step === "seed"
    ? `seed ${plan.chain}`
    : step === "advance"
    ? `advance ${plan.chain}@${iteration}`
    : step === "blend"
    ? `blend ${plan.chain}/${plan.group}@${iteration}`
    : `accumulate ${plan.chain}/${plan.worker}/${plan.epoch}@${iteration}`;

/** What went missing or wrong, by kind; every list must end up empty. */
class Findings {
  readonly byKind = new Map<string, string[]>();
  add(kind: string, detail: string): void {
    const list = this.byKind.get(kind) ?? [];
    list.push(detail);
    this.byKind.set(kind, list);
  }
  count(): number {
    return [...this.byKind.values()].reduce((n, l) => n + l.length, 0);
  }
  /** Each kind with its count and first few details. */
  summary(): Record<string, { count: number; first: string[] }> {
    return Object.fromEntries(
      [...this.byKind].map((
        [kind, list],
      ) => [kind, { count: list.length, first: list.slice(0, 5) }]),
    );
  }
}

/** How many times each `key\tvalue` entry occurs in an index. */
const entryCounts = (index: AppendIndex): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const [key, values] of index.entries()) {
    for (const value of values) {
      const entry = `${key}\t${value}`;
      counts.set(entry, (counts.get(entry) ?? 0) + 1);
    }
  }
  return counts;
};

/** Checks that `log` is one unbroken chain from "no ref" to the ref's current value. */
const checkChain = (
  ctx: StoreContext,
  name: string,
  log: readonly ReflogEntry[],
  findings: Findings,
) => {
  let previous: string | null = null;
  for (const [i, entry] of log.entries()) {
    if (entry.old !== previous) {
      findings.add("broken reflog chain", `${name} #${i}: ${entry.old} after ${previous}`);
    }
    previous = entry.new;
  }
  const head = readRef(ctx.layout, name);
  if (head !== previous) findings.add("ref ≠ last reflog entry", `${name}: ${head} vs ${previous}`);
};

interface Miss {
  /** How many invocations (of any process) reported this run as their miss. */
  count: number;
  readonly step: string;
  readonly iteration: number | null;
  readonly outputs: Readonly<Record<string, string>>;
  readonly slot: string;
}

/** What the manifests say, checked against the plan. */
interface Reported {
  readonly invocations: number;
  /** Run id → the misses that made it. */
  readonly misses: ReadonlyMap<string, Miss>;
  readonly hits: readonly { run: string; slot: string; where: string }[];
  /** "<worker>:<seq>" → that scenario execution's invocations. */
  readonly executions: ReadonlyMap<string, readonly ManifestInvocation[]>;
  /** Output id → its planned bytes. */
  readonly blobs: ReadonlyMap<string, Uint8Array>;
}

/** Each worker ran its plan: every invocation ok, in order, with the predicted outputs. */
const checkPlans = (manifests: readonly Manifest[]): Reported => {
  const misses = new Map<string, Miss>();
  const hits: { run: string; slot: string; where: string }[] = [];
  const executions = new Map<string, readonly ManifestInvocation[]>();
  const blobs = new Map<string, Uint8Array>();
  let invocations = 0;
  for (const [w, manifest] of manifests.entries()) {
    assert.equal(manifest.worker, w);
    assert.equal(manifest.scenarios.length, SCENARIOS, `worker ${w}'s scenarios`);
    for (const [seq, done] of manifest.scenarios.entries()) {
      const plan = planOf(w, seq, SCENARIOS);
      assert.equal(done.seq, seq);
      assert.equal(done.name, plan.name);
      const planned = plannedSteps(plan);
      assert.equal(done.invocations.length, planned.length, `w${w}:${seq} invocations`);
      executions.set(`${w}:${seq}`, done.invocations);
      for (const [k, got] of done.invocations.entries()) {
        invocations++;
        const want = planned[k]!;
        const where = `w${w}:${seq} ${want.step}@${want.iteration ?? "-"}`;
        assert.equal(got.step, want.step, where);
        assert.equal(got.iteration, want.iteration, where);
        assert.equal(got.status, "ok", where);
        assert.match(got.run ?? "", RUN_ID, where);
        const outputs: Record<string, string> = {};
        for (const [name, value] of Object.entries(want.outputs)) {
          const bytes = Json.encode(value) as Uint8Array;
          outputs[name] = hashObject("blob", bytes);
          blobs.set(outputs[name], bytes);
        }
        assert.deepEqual(got.outputs, outputs, `${where}: outputs`);
        const slot = slotOf(plan, want.step, want.iteration);
        const known = misses.get(got.run!);
        if (got.hit) hits.push({ run: got.run!, slot, where });
        else if (known) known.count++;
        else {
          misses.set(got.run!, {
            count: 1,
            step: got.step,
            iteration: got.iteration,
            outputs,
            slot,
          });
        }
      }
    }
  }
  return { invocations, misses, hits, executions, blobs };
};

/**
 * Every run is recorded as reported; every index entry it wrote is there as many times
 * as processes wrote it, and nothing else is; every hit names a run made for its
 * position; processes at one position of the plan computed one key; a lookup answers
 * with a run made for the key's position. Returns the entries checked and the runs of
 * each key.
 */
const checkRuns = (ctx: StoreContext, reported: Reported, findings: Findings) => {
  const { misses, hits } = reported;
  const lineageIndex = new AppendIndex(ctx.layout, "lineage");
  const cacheIndex = new AppendIndex(ctx.layout, "cache");
  const lineage = entryCounts(lineageIndex);
  const cache = entryCounts(cacheIndex);
  const keysOfSlot = new Map<string, Set<string>>();
  const runsOfKey = new Map<string, number>();
  let lineageExpected = 0;
  let indexChecked = 0;
  for (const [run, miss] of misses) {
    let record: StoreRecord;
    try {
      record = readRecord(ctx, run);
    } catch (e) {
      findings.add("run record", `${run}: ${e instanceof Error ? e.message : e}`);
      continue;
    }
    const outputs = record.outputs as Record<string, { id: string }>;
    if (
      record.type !== "run" || record.step !== miss.step ||
      record.iteration !== miss.iteration || record.status !== "ok" ||
      JSON.stringify(Object.entries(outputs).map(([n, o]) => [n, o.id])) !==
        JSON.stringify(Object.entries(miss.outputs))
    ) findings.add("run record", `${run}: not the ${miss.slot} run`);
    const key = record.key as string;
    keysOfSlot.set(miss.slot, (keysOfSlot.get(miss.slot) ?? new Set()).add(key));
    runsOfKey.set(key, (runsOfKey.get(key) ?? 0) + 1);
    const decoded = decodeRunRecord(record);
    if (!decoded) {
      findings.add("run record", `${run}: not a run record`);
      continue;
    }
    const entries = lineageEntries(run, summaryOfRecord(decoded));
    lineageExpected += entries.length * miss.count;
    for (const [k, value] of entries) {
      indexChecked++;
      const found = lineage.get(`${k}\t${value}`) ?? 0;
      if (found !== miss.count) {
        findings.add("lineage entry", `${k} → ${value.slice(0, 80)}: ${found}/${miss.count}`);
      }
    }
    indexChecked++;
    const found = cache.get(`${key}\t${encodeCacheValue(run, outputs as never)}`) ?? 0;
    if (found !== miss.count) findings.add("cache entry", `${key} → ${run}: ${found}`);
  }
  const total = (counts: ReadonlyMap<string, number>) =>
    [...counts.values()].reduce((n, c) => n + c, 0);
  const cacheExpected = [...misses.values()].reduce((n, m) => n + m.count, 0);
  if (total(lineage) !== lineageExpected) {
    findings.add("unexpected index entries", `lineage: ${total(lineage)} ≠ ${lineageExpected}`);
  }
  if (total(cache) !== cacheExpected) {
    findings.add("unexpected index entries", `cache: ${total(cache)} ≠ ${cacheExpected}`);
  }
  for (const hit of hits) {
    const miss = misses.get(hit.run);
    if (!miss) findings.add("hit on an unknown run", `${hit.where}: ${hit.run}`);
    else if (miss.slot !== hit.slot) findings.add("hit on the wrong run", `${hit.where}`);
  }
  for (const [slot, keys] of keysOfSlot) {
    if (keys.size !== 1) findings.add("keys differ", `${slot}: ${keys.size} keys`);
    const [key] = keys;
    indexChecked++;
    const newest = cacheIndex.get(key!)?.slice(0, 64);
    if (misses.get(newest ?? "")?.slot !== slot) {
      findings.add("cache lookup", `${slot}: ${key} → ${newest}`);
    }
  }
  assert.equal(runsOfKey.size, keysOfSlot.size, "one key per position of the plan");
  lineageIndex.close();
  cacheIndex.close();
  return { indexChecked, runsOfKey };
};

/**
 * Every scenario execution is recorded once: its ref's reflog has one entry per
 * execution, in one chain, each naming a record of that execution whose parent is the
 * entry before; the parent chain from the ref reaches every record. Returns the
 * records found and the scenario refs.
 */
const checkScenarios = (
  ctx: StoreContext,
  manifests: readonly Manifest[],
  reported: Reported,
  findings: Findings,
) => {
  const names = new Map<string, string[]>(); // scenario name → "<worker>:<seq>"
  for (const [w, manifest] of manifests.entries()) {
    for (const done of manifest.scenarios) {
      names.set(done.name, [...(names.get(done.name) ?? []), `${w}:${done.seq}`]);
    }
  }
  const invocationsOf = (list: readonly ManifestInvocation[] | undefined) =>
    list?.map((i) => ({
      step: i.step,
      iteration: i.iteration,
      run: i.run,
      hit: i.hit,
      status: i.status,
    }));
  let records = 0;
  for (const [name, executions] of names) {
    const ref = `scenarios/${name}`;
    const log = readReflog(ctx.layout, ref);
    checkChain(ctx, ref, log, findings);
    const unseen = new Set(executions);
    for (const entry of log) {
      const record = readRecord(ctx, entry.new!);
      const config = record.config as { worker: number; seq: number };
      const id = `${config.worker}:${config.seq}`;
      if (record.type !== "scenario" || record.name !== name || record.status !== "ok") {
        findings.add("scenario record", `${entry.new}: ${record.type} ${record.status}`);
      }
      if (record.parent !== entry.old) findings.add("scenario parent", `${entry.new}`);
      if (!unseen.delete(id)) findings.add("scenario recorded twice", `${name} ${id}`);
      const recorded = invocationsOf(record.invocations as unknown as ManifestInvocation[]);
      if (JSON.stringify(recorded) !== JSON.stringify(invocationsOf(reported.executions.get(id)))) {
        findings.add("scenario invocations", `${name} ${id}`);
      }
      records++;
    }
    for (const id of unseen) findings.add("scenario record lost", `${name} ${id}`);
    let reached = 0;
    for (let at = readRef(ctx.layout, ref); at !== null; reached++) {
      at = (readRecord(ctx, at).parent as string | null) ?? null;
    }
    if (reached !== executions.length) {
      findings.add("scenario chain", `${name}: ${reached} of ${executions.length} reachable`);
    }
  }
  return { records, refs: names.size };
};

/**
 * The shared counter's reflog holds every successful update once, as one chain in
 * which each record counts on from the one it replaced; each worker's own ref holds
 * its updates in order.
 */
const checkRefs = (ctx: StoreContext, manifests: readonly Manifest[], findings: Findings) => {
  const log = readReflog(ctx.layout, COUNTER_REF);
  checkChain(ctx, COUNTER_REF, log, findings);
  const updates = manifests.flatMap((m) => m.counter);
  if (log.length !== updates.length) {
    findings.add("counter update lost", `${log.length} of ${updates.length} logged`);
  }
  const logged = new Set(log.map((e) => `${e.message} ${e.new}`));
  for (const u of updates) {
    if (!logged.has(`${u.message} ${u.id}`)) findings.add("counter update lost", u.message);
  }
  for (const [i, entry] of log.entries()) {
    const record = readRecord(ctx, entry.new!);
    if (record.n !== i + 1 || record.by !== entry.message) {
      findings.add("counter", `#${i}: n ${record.n} by ${record.by} (${entry.message})`);
    }
  }
  for (const [w, manifest] of manifests.entries()) {
    const own = readReflog(ctx.layout, workerRef(w));
    checkChain(ctx, workerRef(w), own, findings);
    if (JSON.stringify(own.map((e) => e.new)) !== JSON.stringify(manifest.own)) {
      findings.add("worker ref", `${workerRef(w)}: ${own.length} of ${manifest.own.length}`);
    }
  }
  return {
    updates: log.length,
    conflicts: manifests.reduce((n, m) => n + m.conflicts, 0),
    mostConflicts: Math.max(...manifests.map((m) => m.mostConflicts)),
  };
};

/** How many records of each type the store holds. */
const recordTypes = (ctx: StoreContext): Map<string, number> => {
  const types = new Map<string, number>();
  for (const id of listObjects(ctx).ids) {
    if (identify(ctx, id) !== "record") continue;
    const type = readRecord(ctx, id).type;
    types.set(type, (types.get(type) ?? 0) + 1);
  }
  return types;
};

/** Lock files left under `dir`. */
const locksIn = (dir: string): string[] =>
  [...Deno.readDirSync(dir)].flatMap((e) =>
    e.isDirectory
      ? locksIn(`${dir}/${e.name}`)
      : e.name.endsWith(".lock")
      ? [`${dir}/${e.name}`]
      : []
  );

Deno.test("8 processes running overlapping pipelines on one store lose nothing", async () => {
  const t0 = performance.now();
  await warmUp();
  const dir = Deno.makeTempDirSync({ prefix: "cairn-writers-" });
  try {
    const root = `${dir}/store`;
    const tRun = performance.now();
    const manifests = await runWorkers(root, dir);
    const runMs = performance.now() - tRun;

    const reported = checkPlans(manifests);
    assert.equal(reported.invocations, PROCESSES * STEPS);
    const findings = new Findings();
    const ctx = openStoreContext(root, { create: false });
    try {
      // Every output reads back verified, with the planned bytes.
      for (const [id, bytes] of reported.blobs) {
        try {
          assert.deepEqual(readVerified(ctx, id, "blob"), bytes);
        } catch (e) {
          findings.add("artifact", `${id}: ${e instanceof Error ? e.message : e}`);
        }
      }
      const runs = checkRuns(ctx, reported, findings);
      const scenarios = checkScenarios(ctx, manifests, reported, findings);
      const refs = checkRefs(ctx, manifests, findings);

      // fsck re-hashes every object and resolves every link, ref and index entry;
      // nothing is left in tmp/, no session is open, no lock is left behind.
      const report = fsck(ctx);
      for (const p of report.problems) findings.add(`fsck ${p.kind}`, `${p.subject}: ${p.detail}`);
      assert.equal(report.tmpFiles, 0);
      assert.deepEqual([...Deno.readDirSync(ctx.layout.sessions)], []);
      assert.deepEqual([...locksIn(ctx.layout.refs), ...locksIn(ctx.layout.index)], []);

      // Nothing was written that nobody reported: one run record per distinct run, one
      // counter record per attempt. Scenario records beyond those recorded are attempts
      // that lost the race for their ref (and were retried by scenario()).
      const types = recordTypes(ctx);
      assert.equal(types.get("run"), reported.misses.size, "run records in the store");
      assert.equal(types.get("counter"), refs.updates + refs.conflicts, "counter records");
      const scenarioRaces = (types.get("scenario") ?? 0) - scenarios.records;

      const misses = [...reported.misses.values()].reduce((n, m) => n + m.count, 0);
      const raced = [...runs.runsOfKey.values()].filter((n) => n > 1).length;
      console.log(
        [
          `processes: ${PROCESSES}, steps per process: ${STEPS} (scale ${SCALE})`,
          `step invocations: ${reported.invocations}: hits ${reported.hits.length}, misses ${misses}`,
          `run records: ${reported.misses.size}; cache keys: ${runs.runsOfKey.size}, missed by more than one process: ${raced}`,
          `artifacts checked: ${reported.blobs.size}; index entries checked: ${runs.indexChecked}`,
          `scenario records: ${scenarios.records} on ${scenarios.refs} refs (${scenarioRaces} lost races retried)`,
          `shared-ref updates: ${refs.updates} (${refs.conflicts} lost races retried, at most ${refs.mostConflicts} for one update)`,
          `fsck: ${report.objects} objects, ${report.indexEntries} index entries, ${report.reflogEntries} reflog entries, ${report.problems.length} problems`,
          `lost or wrong: ${findings.count()}`,
          `wall time: workers ${(runMs / 1000).toFixed(1)} s, whole test ${
            ((performance.now() - t0) / 1000).toFixed(1)
          } s`,
        ].map((line) => `  ${line}`).join("\n"),
      );
      assert.deepEqual(findings.summary(), {});
      assert.equal(scenarios.records, PROCESSES * SCENARIOS);
    } finally {
      ctx.session.close();
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
