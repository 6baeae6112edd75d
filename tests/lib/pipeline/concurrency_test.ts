// Concurrency: independent steps overlap inside one process; several processes run
// pipelines on one store at once without losing a scenario record; Ctrl-C interrupts a
// pipeline, which is recorded as interrupted and resumed by the next run.
//
// The multi-process tests run the fixture project tests/lib/pipeline/_fixtures/concurrency/ in
// child Deno processes, as a user would (see mutation_test.ts for the set-up).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Effect } from "effect";
import { Json, Pipeline, scenario, step } from "../../../mod.ts";
import type { ScenarioInvocation } from "../../../lib/query/mod.ts";
import { fsck } from "../../../store/fsck.ts";
import { openStoreContext } from "../../../store/object_store.ts";
import { readVerified, type StoreContext } from "../../../store/objects.ts";
import { decodeRecord, type StoreRecord } from "../../../store/record.ts";
import { readRef, readReflog } from "../../../store/refs.ts";

Deno.env.set("CAIRN_PROGRESS", "0");

const MAIN = fileURLToPath(new URL("../../../", import.meta.url));
const FIXTURE = fileURLToPath(new URL("./_fixtures/concurrency/", import.meta.url));
const RUN_ID = /^[0-9a-f]{64}$/;

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Invocation = ScenarioInvocation; // as the scenario record lists it

const invocationsOf = (record: StoreRecord) => record.invocations as unknown as Invocation[];

/** "step@iteration hit|miss status", in record order. */
const summary = (record: StoreRecord) =>
  invocationsOf(record).map((i) =>
    `${i.step}@${i.iteration ?? "-"} ${i.hit ? "hit" : "miss"} ${i.status}`
  );

const withStore = <A>(root: string, f: (ctx: StoreContext) => A): A => {
  const ctx = openStoreContext(root, { create: false });
  try {
    return f(ctx);
  } finally {
    ctx.session.close();
  }
};

const readRecord = (ctx: StoreContext, id: string): StoreRecord =>
  decodeRecord(readVerified(ctx, id, "record"), id);

const assertFsckOk = (root: string) => {
  const report = withStore(root, (ctx) => fsck(ctx));
  assert.deepEqual(report.problems, [], "fsck finds no problem");
  assert.ok(report.ok);
  assert.ok(report.byKind.record > 0);
};

const scratchLeft = (root: string) =>
  [...Deno.readDirSync(`${root}/tmp`)].map((e) => e.name).filter((n) => n.startsWith("run-"));

const withTempDir = async (prefix: string, f: (dir: string) => Promise<void>) => {
  const dir = Deno.realPathSync(Deno.makeTempDirSync({ prefix }));
  try {
    await f(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
};

// ---------------------------------------------------------------------------
// In one process

// Run bodies in flight now, the most ever at once, when the first began and the last
// ended (performance.now()), and which bodies ran.
const load = { now: 0, peak: 0, first: Infinity, last: -Infinity };
const executed: string[] = [];

/** A step whose body sleeps `ms` and returns 10 × `value`. */
const sleeper = (name: string, value: number, ms: number) =>
  step({
    name,
    outputs: { v: Json },
    config: { value, ms },
    run: async (_inputs, config, ctx) => {
      executed.push(ctx.step);
      load.peak = Math.max(load.peak, ++load.now);
      load.first = Math.min(load.first, performance.now());
      try {
        await pause(config.ms);
        return { v: config.value * 10 };
      } finally {
        load.now--;
        load.last = Math.max(load.last, performance.now());
      }
    },
  });

const SLOW_MS = 300;
const slow = [
  sleeper("slow_a", 1, SLOW_MS),
  sleeper("slow_b", 2, SLOW_MS),
  sleeper("slow_c", 3, SLOW_MS),
];
const fan = Array.from(
  { length: 50 },
  (_, i) => sleeper(`fan_${String(i).padStart(2, "0")}`, i, 60),
);

/** Runs `steps` as scenario `name` with `concurrency`; returns values, record and timings. */
const runAll = (
  root: string,
  name: string,
  steps: readonly ReturnType<typeof sleeper>[],
  concurrency: number | "unbounded",
) =>
  Effect.runPromise(
    Effect.gen(function* () {
      executed.length = 0;
      Object.assign(load, { peak: 0, first: Infinity, last: -Infinity });
      const t0 = performance.now();
      const outputs = yield* scenario(
        name,
        {},
        Effect.all(steps.map((s) => s({})), { concurrency }),
      );
      const ms = performance.now() - t0;
      const { store } = yield* Pipeline;
      const values = yield* Effect.forEach(outputs, ({ v }) =>
        Effect.map(store.readBlob(v.id), (b) =>
          JSON.parse(new TextDecoder().decode(b)) as number));
      const id = (yield* store.readRef(`scenarios/${name}`))!;
      const record = yield* store.readRecord(id);
      const runs = yield* Effect.forEach(
        invocationsOf(record),
        (i) =>
          Effect.map(store.readRecord(i.run!), (r) => `${r.type} ${r.step}`),
      );
      const bodiesMs = load.last - load.first;
      return { values, id, record, runs, ms, bodiesMs, peak: load.peak, executed: [...executed] };
    }).pipe(Effect.provide(Pipeline.layerDisk({ root }))),
  );

/** The invocations as "step hit|miss status", sorted: concurrent steps finish in any order. */
const sortedSummary = (record: StoreRecord) => summary(record).sort();

Deno.test("independent steps run concurrently in one process", async () => {
  await withTempDir("cairn-concurrency-", async (dir) => {
    const root = `${dir}/store`;
    const names = slow.map((s) => s.stepName);
    const first = await runAll(root, "overlap", slow, "unbounded");
    assert.deepEqual(first.values, [10, 20, 30], "outputs in invocation order");
    assert.deepEqual([...first.executed].sort(), names);
    assert.equal(first.peak, 3, "all three bodies were in flight at once");
    // One after another the bodies would take 3 × 300 ms; overlapped, about 300 ms (the
    // bound leaves room for timers late on a loaded machine). The whole scenario also
    // computes code identities and writes records, so it gets more slack, but still less
    // than the bodies alone would need in sequence.
    assert.ok(
      first.bodiesMs < 2 * SLOW_MS,
      `the bodies took ${first.bodiesMs.toFixed(0)} ms; in sequence ${3 * SLOW_MS} ms`,
    );
    assert.ok(
      first.ms < 3 * SLOW_MS,
      `the scenario took ${first.ms.toFixed(0)} ms; its bodies in sequence ${3 * SLOW_MS} ms`,
    );
    assert.equal(first.record.status, "ok");
    assert.equal(first.record.parent, null);
    assert.deepEqual(sortedSummary(first.record), names.map((n) => `${n}@- miss ok`));
    const firstRuns = invocationsOf(first.record).map((i) => i.run!);
    for (const run of firstRuns) assert.match(run, RUN_ID);
    assert.equal(new Set(firstRuns).size, 3, "one run record per step");
    assert.deepEqual(
      [...first.runs].sort(),
      names.map((n) => `run ${n}`),
      "each invocation names its step's run record",
    );

    const second = await runAll(root, "overlap", slow, "unbounded");
    assert.deepEqual(second.values, [10, 20, 30]);
    assert.deepEqual(second.executed, [], "no body ran again");
    assert.equal(second.record.parent, first.id);
    assert.deepEqual(sortedSummary(second.record), names.map((n) => `${n}@- hit ok`));
    const byStep = (r: StoreRecord) =>
      Object.fromEntries(invocationsOf(r).map((i) => [i.step, i.run]));
    assert.deepEqual(byStep(second.record), byStep(first.record), "hits reuse the recorded runs");
    assertFsckOk(root);
    assert.deepEqual(scratchLeft(root), []);
  });
});

Deno.test("50 independent steps at concurrency 8 run 8 at a time, then all hit", async () => {
  await withTempDir("cairn-concurrency-", async (dir) => {
    const root = `${dir}/store`;
    const names = fan.map((s) => s.stepName);
    const expected = names.map((_, i) => i * 10);

    const first = await runAll(root, "fan", fan, 8);
    assert.deepEqual(first.values, expected);
    assert.deepEqual([...first.executed].sort(), names, "every body ran once");
    assert.equal(first.peak, 8, "never more than 8 bodies at once, and 8 did overlap");
    assert.equal(first.record.status, "ok");
    assert.deepEqual(sortedSummary(first.record), names.map((n) => `${n}@- miss ok`));
    const runs = invocationsOf(first.record).map((i) => i.run!);
    assert.ok(runs.every((r) => RUN_ID.test(r)));
    assert.equal(new Set(runs).size, 50);

    const second = await runAll(root, "fan", fan, 8);
    assert.deepEqual(second.values, expected);
    assert.deepEqual(second.executed, []);
    assert.equal(second.record.parent, first.id);
    assert.deepEqual(sortedSummary(second.record), names.map((n) => `${n}@- hit ok`));
    assertFsckOk(root);
  });
});

// ---------------------------------------------------------------------------
// Child processes

interface Project {
  readonly dir: string;
  readonly store: string;
  /** Starts `deno run -A pipeline.ts` in the project with the fixture's `env`. */
  readonly spawn: (env?: Record<string, string>) => Deno.ChildProcess;
}

// Children not yet finished; a failing test kills them before removing their project.
const running = new Set<Deno.ChildProcess>();

/** Runs `deno <command> pipeline.ts` in `dir` and asserts that it succeeds. */
const denoIn = async (dir: string, command: "cache" | "check") => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [command, "pipeline.ts"],
    cwd: dir,
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
};

/** Copies the fixture into `dir` with a deno.json mapping "cairn" to this checkout. */
const makeProject = async (dir: string): Promise<Project> => {
  const store = `${dir}/store`;
  const main = JSON.parse(Deno.readTextFileSync(`${MAIN}deno.json`));
  const imports = { ...main.imports, cairn: pathToFileURL(`${MAIN}mod.ts`).href };
  Deno.writeTextFileSync(`${dir}/deno.json`, JSON.stringify({ imports }, null, 2) + "\n");
  Deno.copyFileSync(`${FIXTURE}pipeline.ts.txt`, `${dir}/pipeline.ts`);
  // Load the modules once before any run: that writes deno.lock, which code identity
  // reads, so processes started together do not race to create it.
  await denoIn(dir, "cache");
  const spawn = (env: Record<string, string> = {}) => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "pipeline.ts"],
      cwd: dir,
      env: { CAIRN_STORE: store, CAIRN_PROGRESS: "0", ITERATIONS: "6", RATE: "3", ...env },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    running.add(child);
    child.status.finally(() => running.delete(child));
    return child;
  };
  return { dir, store, spawn };
};

const withProject = (f: (p: Project) => Promise<void>) =>
  withTempDir("cairn-concurrency-", async (dir) => {
    try {
      await f(await makeProject(dir));
    } finally {
      for (const child of running) {
        try {
          child.kill("SIGKILL");
        } catch {
          // already gone
        }
        await child.status;
      }
    }
  });

interface Finished {
  readonly code: number;
  readonly stderr: string;
  /** The fixture's stdout line: the final artifact and its decoded value. */
  readonly result: { readonly id: string; readonly value: number } | undefined;
}

const finish = async (child: Deno.ChildProcess): Promise<Finished> => {
  const { code, stdout, stderr } = await child.output();
  const line = new TextDecoder().decode(stdout).trim();
  return {
    code,
    stderr: new TextDecoder().decode(stderr),
    result: line ? JSON.parse(line) : undefined,
  };
};

const succeed = async (child: Deno.ChildProcess) => {
  const done = await finish(child);
  assert.equal(done.code, 0, `pipeline.ts failed:\n${done.stderr}`);
  assert.ok(!done.stderr.includes("could not record"), done.stderr);
  return done.result!;
};

/** The fixture's computation without cairn. */
const expected = (rate: number, iterations: number) => {
  let x = 7;
  for (let i = 0; i < iterations; i++) x = (x * rate + i) % 10007;
  return x;
};

/** Waits until `done()` holds, failing if a child exits first or 30 s pass. */
const waitFor = async (what: string, done: () => boolean, children: Deno.ChildProcess[]) => {
  let exited = false;
  for (const child of children) child.status.then(() => exited = true);
  const deadline = Date.now() + 30_000;
  while (!done()) {
    assert.ok(!exited, `a child exited while waiting for ${what}`);
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await pause(10);
  }
};

const newestScenario = (root: string) =>
  withStore(root, (ctx) => {
    const id = readRef(ctx.layout, "scenarios/shared")!;
    return { id, record: readRecord(ctx, id) };
  });

/** The key and outputs of each invocation's run, by "step@iteration". */
const runsOf = (ctx: StoreContext, record: StoreRecord) =>
  Object.fromEntries(
    invocationsOf(record).map((i) => {
      const run = readRecord(ctx, i.run!);
      assert.equal(run.type, "run");
      assert.equal(run.step, i.step);
      return [`${i.step}@${i.iteration ?? "-"}`, { key: run.key, outputs: run.outputs }];
    }),
  );

Deno.test("the concurrency fixture type-checks against cairn's public API", async () => {
  await withProject((p) => denoIn(p.dir, "check"));
});

Deno.test("two processes run pipelines on one store at once", async () => {
  await withProject(async (p) => {
    const ready = `${p.dir}/ready`;
    const go = `${p.dir}/go`;
    Deno.mkdirSync(ready);
    // Two processes share a config (same steps, same keys); one differs in grow's rate.
    const barrier = { READY_DIR: ready, GO_FILE: go, STEP_MS: "40" };
    const children = [
      p.spawn({ ...barrier }),
      p.spawn({ ...barrier }),
      p.spawn({ ...barrier, RATE: "5" }),
    ];
    // Start all three scenarios together, whatever each process's start-up time.
    await waitFor(
      "the children to be ready",
      () => [...Deno.readDirSync(ready)].length === 3,
      children,
    );
    Deno.writeTextFileSync(go, "");
    const [a1, a2, b] = await Promise.all(children.map(succeed));

    assert.deepEqual(a1, a2, "processes sharing a config compute the same final artifact");
    assert.equal(a1!.value, expected(3, 6));
    assert.equal(b!.value, expected(5, 6));
    assert.notEqual(b!.id, a1!.id);

    const { records, heads } = withStore(p.store, (ctx) => {
      // One reflog entry per process, each moving the ref on from the previous value.
      const log = readReflog(ctx.layout, "scenarios/shared");
      assert.equal(log.length, 3, "one scenario record per process");
      assert.equal(log[0]!.old, null);
      for (let i = 1; i < log.length; i++) assert.equal(log[i]!.old, log[i - 1]!.new);
      assert.equal(readRef(ctx.layout, "scenarios/shared"), log[2]!.new);
      const records = log.map((entry) => {
        const record = readRecord(ctx, entry.new!);
        assert.equal(record.type, "scenario");
        assert.equal(record.parent, entry.old, "each record's parent is the previous ref value");
        assert.equal(record.status, "ok");
        return record;
      });
      return { records, heads: log.map((e) => e.new!) };
    });
    assert.equal(new Set(heads).size, 3);
    const rateOf = (r: StoreRecord) => (r.config as { rate: number }).rate;
    assert.deepEqual(records.map(rateOf).sort(), [3, 3, 5]);

    // The three scenarios really overlapped: each started before any of them ended.
    const starts = records.map((r) => Date.parse(r.startedAt as string));
    const ends = records.map((r) => Date.parse(r.endedAt as string));
    assert.ok(Math.max(...starts) < Math.min(...ends), "the three scenarios overlapped");

    withStore(p.store, (ctx) => {
      const [shared1, shared2] = records.filter((r) => rateOf(r) === 3).map((r) => runsOf(ctx, r));
      const other = runsOf(ctx, records.find((r) => rateOf(r) === 5)!);
      const positions = [
        "seed@-",
        ...[0, 1, 2, 3, 4, 5].flatMap((i) => [`grow@${i}`, `clip@${i}`]),
      ];
      assert.deepEqual(Object.keys(shared1!), positions);
      // Same keys and same outputs, whether each was a hit or its own miss.
      assert.deepEqual(shared2, shared1);
      assert.equal(other["seed@-"]!.key, shared1!["seed@-"]!.key, "seed is shared by all three");
      assert.notEqual(other["grow@0"]!.key, shared1!["grow@0"]!.key);
    });
    assertFsckOk(p.store);
    assert.deepEqual(scratchLeft(p.store), []);

    // A further run finds everything cached and extends the chain.
    const again = await succeed(p.spawn());
    assert.deepEqual(again, a1);
    const newest = newestScenario(p.store);
    assert.equal(newest.record.parent, heads[2]);
    assert.ok(invocationsOf(newest.record).every((i) => i.hit && i.status === "ok"));
    assert.equal(invocationsOf(newest.record).length, 13);
  });
});

// Ctrl-C, and SIGTERM — what Slurm, Kubernetes and `timeout` send — stop a run alike.
for (
  const [signal, code, what] of [
    ["SIGINT", 130, "Ctrl-C"],
    ["SIGTERM", 143, "SIGTERM"],
  ] as const
) {
  Deno.test(`${what} interrupts a pipeline, records it as interrupted, and the next run resumes`, async () => {
    await withProject(async (p) => {
      const marker = `${p.dir}/blocked`;
      const child = p.spawn({ BLOCK_AT: "3", MARKER: marker });
      // The marker names the scratch directory: wait until its text is there too.
      await waitFor(
        "grow@3 to block",
        () => existsSync(marker) && Deno.readTextFileSync(marker) !== "",
        [
          child,
        ],
      );
      const scratch = Deno.readTextFileSync(marker);
      assert.ok(Deno.statSync(scratch).isDirectory, "the blocked step has a scratch directory");

      child.kill(signal);
      const stopped = await finish(child);
      assert.equal(stopped.code, code, stopped.stderr);
      assert.match(stopped.stderr, /error: interrupted/);
      assert.equal(stopped.result, undefined);
      assert.ok(!existsSync(scratch), "the interrupted step's scratch directory was removed");
      assert.deepEqual(scratchLeft(p.store), []);
      assert.deepEqual(
        [...Deno.readDirSync(`${p.store}/tmp/sessions`)].map((e) => e.name),
        [],
        "the interrupted process closed its writer session",
      );

      const interrupted = newestScenario(p.store);
      assert.equal(interrupted.record.status, "interrupted");
      assert.equal(interrupted.record.parent, null);
      const completed = [
        "seed@- miss ok",
        ...[0, 1, 2].flatMap((i) => [`grow@${i} miss ok`, `clip@${i} miss ok`]),
      ];
      assert.deepEqual(summary(interrupted.record), completed);
      withStore(p.store, (ctx) => runsOf(ctx, interrupted.record)); // every run is readable
      assertFsckOk(p.store);

      const resumed = await succeed(p.spawn());
      assert.equal(resumed.value, expected(3, 6));
      const next = newestScenario(p.store);
      assert.equal(next.record.status, "ok");
      assert.equal(next.record.parent, interrupted.id);
      assert.deepEqual(summary(next.record), [
        "seed@- hit ok",
        ...[0, 1, 2].flatMap((i) => [`grow@${i} hit ok`, `clip@${i} hit ok`]),
        ...[3, 4, 5].flatMap((i) => [`grow@${i} miss ok`, `clip@${i} miss ok`]),
      ]);
      assert.deepEqual(
        invocationsOf(next.record).slice(0, 7).map((i) => i.run),
        invocationsOf(interrupted.record).map((i) => i.run),
        "the hits are the runs the interrupted scenario recorded",
      );
      assertFsckOk(p.store);
      assert.deepEqual(scratchLeft(p.store), []);
    });
  });
}
