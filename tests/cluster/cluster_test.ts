// The cluster executor against a real PostgreSQL and real runner processes: misses run
// on a runner, hits stay in the pipeline process; a step's failure arrives as the same
// typed error; a message whose key is cached answers from the cache; a runner killed
// in the middle of an invocation loses nothing — another runner completes it, and the
// key has one cache entry; PostgreSQL restarted mid-sweep never gives a wrong result.
import assert from "node:assert/strict";
import { Effect, Layer } from "effect";
import { CACHE_INDEX } from "../../lib/model/cache_entry.ts";
import {
  Executor,
  type ExecutorApi,
  ExecutorFailed,
  input,
  Pipeline,
  PipelineError,
  type StepInvocation,
  sweep,
} from "../../mod.ts";
import { cluster } from "../../lib/pipeline/cluster/mod.ts";
import { postgresOrSkip, withCluster } from "./_postgres.ts";
import { startRunner } from "./_runners.ts";
import { double, salted, singular, slow, where } from "./_steps.ts";

Deno.env.set("CAIRN_PROGRESS", "0");

const read = (id: string) =>
  Effect.flatMap(Pipeline, (p) => p.store.readBlob(id)).pipe(
    Effect.map((b) => JSON.parse(new TextDecoder().decode(b))),
  );

const layerOf = (root: string, sql: string) =>
  Pipeline.layerDisk({ root, executor: cluster({ sql }) });

// The promise's value, or a failure saying what did not finish within `ms` (a lost
// message would otherwise leave the test waiting for ever).
const within = async <A>(ms: number, what: string, promise: Promise<A>): Promise<A> => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
};

const done = (events: readonly { event: string }[]) =>
  events.filter((e) => e.event === "done").length;

Deno.test("a sweep's misses run on a runner process; a replay is all hits and sends nothing", async () => {
  await withCluster("misses on a runner", async (sql, root) => {
    const runner = await startRunner(sql, root);
    try {
      const program = sweep("doubling", { a: 1, b: 2, c: 3, d: 4 }, (x) =>
        Effect.gen(function* () {
          const d = yield* double({ x: yield* input.value(x) });
          return { y: yield* read(d.y.id), pid: yield* read(d.pid.id) };
        }));
      const first = await Effect.runPromise(program.pipe(Effect.provide(layerOf(root, sql))));
      for (const [label, x] of Object.entries({ a: 1, b: 2, c: 3, d: 4 })) {
        const got = first[label as keyof typeof first]!;
        assert.equal(got.y, 2 * x);
        assert.equal(got.pid, runner.pid, `${label} ran on the runner`);
        assert.notEqual(got.pid, Deno.pid);
      }
      assert.equal(done(runner.events), 4, "the runner ran the four misses");
      const again = await Effect.runPromise(program.pipe(Effect.provide(layerOf(root, sql))));
      assert.deepEqual(again, first);
      assert.equal(done(runner.events), 4, "the replay sent the runner nothing");
    } finally {
      await runner.stop();
    }
  });
});

Deno.test("a step that throws on a runner fails as it does in process: the same typed error and message", async () => {
  await withCluster("typed errors", async (sql, root, dir) => {
    const runner = await startRunner(sql, root);
    const failure = async (layer: Layer.Layer<Pipeline, unknown>) => {
      const exit = await Effect.runPromiseExit(Effect.provide(singular({}), layer));
      assert.equal(exit._tag, "Failure");
      return Effect.runSync(
        Effect.flip(Effect.failCause(exit._tag === "Failure" ? exit.cause : undefined!)),
      );
    };
    try {
      const remote = await failure(layerOf(root, sql));
      const local = await failure(Pipeline.layerDisk({ root: `${dir}/local` }));
      assert.ok(remote instanceof PipelineError, "a PipelineError");
      assert.equal(remote.reason._tag, "StepFailed");
      assert.equal(remote.reason._tag, (local as PipelineError).reason._tag);
      assert.equal(remote.message, (local as PipelineError).message);
      const cause = (remote.reason as { cause: unknown }).cause as Error;
      assert.equal(cause.name, "RangeError");
      assert.equal(cause.message, "the matrix is singular");
      assert.equal(runner.events.filter((e) => e.event === "failed").length, 1, "it ran there");
    } finally {
      await runner.stop();
    }
  });
});

// The cluster executor, with every invocation it is handed kept.
const recording = (sql: string, seen: StepInvocation[]) =>
  Layer.effect(
    Executor,
    Effect.map(Effect.service(Executor), (inner): ExecutorApi => ({
      ...inner,
      execute: (invocation) => {
        seen.push(invocation);
        return inner.execute(invocation);
      },
    })),
  ).pipe(Layer.provide(cluster({ sql })));

Deno.test("a message whose key is already cached answers from the cache: no second run is recorded", async () => {
  await withCluster("idempotent messages", async (sql, root) => {
    const runner = await startRunner(sql, root);
    try {
      const seen: StepInvocation[] = [];
      const layer = Pipeline.layerDisk({ root, executor: recording(sql, seen) });
      const again = await Effect.runPromise(
        Effect.gen(function* () {
          const first = yield* where({});
          assert.equal(seen.length, 1);
          // What a redelivered message is: the same invocation sent again.
          const executor = (yield* Pipeline).executor;
          const resent = yield* executor.execute(seen[0]!);
          const entries = yield* (yield* Pipeline).store.index(CACHE_INDEX).getAll(seen[0]!.key);
          return { first: first.pid.id, resent, entries };
        }).pipe(Effect.provide(layer)),
      );
      assert.equal(again.resent.outputs.pid?.id, again.first);
      assert.equal(again.entries.length, 1, "one cache entry for the key");
      assert.deepEqual(
        runner.events.map((e) => e.event).filter((e) => e === "done" || e === "cached"),
        [
          "done",
          "cached",
        ],
      );
    } finally {
      await runner.stop();
    }
  });
});

Deno.test("a runner killed with SIGKILL in the middle of an invocation: another runner completes it, one cache entry per key", async () => {
  await withCluster("a killed runner", async (sql, root, dir) => {
    const slowDir = `${dir}/slow`;
    Deno.mkdirSync(slowDir);
    Deno.env.set("CAIRN_SLOW_DIR", slowDir);
    const runners = [await startRunner(sql, root), await startRunner(sql, root)];
    try {
      const labels = ["a", "b", "c", "d", "e", "f"];
      const program = sweep(
        "slow",
        Object.fromEntries(labels.map((l) => [l, l])),
        (label) =>
          Effect.gen(function* () {
            const s = yield* slow({ label: yield* input.value(label) });
            return { pid: yield* read(s.pid.id), key: s.pid.producer };
          }),
      );
      const running = Effect.runPromise(program.pipe(Effect.provide(layerOf(root, sql))));
      // Kill the first runner seen starting one.
      let victim: (typeof runners)[number] | undefined;
      while (!victim) {
        const pids = [...Deno.readDirSync(slowDir)].map((e) => Number(e.name.split("-")[0]));
        victim = runners.find((r) => pids.includes(r.pid));
        await new Promise((r) => setTimeout(r, 20));
      }
      const killed = await victim.kill();
      assert.equal(killed.signal, "SIGKILL");
      const survivor = runners.find((r) => r !== victim)!;
      const results = await within(60_000, "the sweep after the kill", running);
      for (const label of labels) {
        assert.equal(results[label]!.pid, survivor.pid, `${label} completed on the survivor`);
      }
      const started = [...Deno.readDirSync(slowDir)].map((e) => e.name);
      assert.ok(
        started.some((n) => n.startsWith(`${victim.pid}-`)),
        "the killed runner had started one",
      );
      // One cache entry per key, however many times it was started.
      const counts = await Effect.runPromise(
        Effect.gen(function* () {
          const snapshot = yield* (yield* Pipeline).store.index(CACHE_INDEX).snapshot();
          return [...snapshot.values()].map((values) => values.length);
        }).pipe(Effect.provide(Pipeline.layerDisk({ root }))),
      );
      assert.equal(counts.length, labels.length);
      assert.deepEqual(counts, labels.map(() => 1));
    } finally {
      Deno.env.delete("CAIRN_SLOW_DIR");
      for (const r of runners) await r.stop();
    }
  });
});

Deno.test("a runner whose declaration gives another key refuses the invocation: a typed error naming the address", async () => {
  await withCluster("a refused invocation", async (sql, root) => {
    const runner = await startRunner(sql, root, { CAIRN_TEST_SALT: "other" });
    try {
      const exit = await Effect.runPromiseExit(salted({}).pipe(Effect.provide(layerOf(root, sql))));
      assert.equal(exit._tag, "Failure");
      const error = Effect.runSync(
        Effect.flip(Effect.failCause(exit._tag === "Failure" ? exit.cause : undefined!)),
      );
      assert.ok(error instanceof PipelineError);
      assert.ok(error.reason instanceof ExecutorFailed, error.message);
      assert.match(error.message, /cannot run the step at tests\/cluster\/_steps\.ts#salted/);
      assert.match(error.message, /its key here differs/);
      assert.match(error.message, /start the runners with the pipeline's current code/);
    } finally {
      await runner.stop();
    }
  });
});

Deno.test("SIGTERM drains a runner: the invocation it runs finishes there, then it exits 0", async () => {
  await withCluster("draining", async (sql, root, dir) => {
    const slowDir = `${dir}/slow`;
    Deno.mkdirSync(slowDir);
    Deno.env.set("CAIRN_SLOW_DIR", slowDir);
    const runner = await startRunner(sql, root);
    try {
      const running = Effect.runPromise(
        Effect.gen(function* () {
          const s = yield* slow({ label: yield* input.value("drained") });
          return yield* read(s.pid.id);
        }).pipe(Effect.provide(layerOf(root, sql))),
      );
      while ([...Deno.readDirSync(slowDir)].length === 0) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const status = await runner.stop();
      assert.equal(status.code, 0);
      assert.equal(
        await within(30_000, "the drained invocation", running),
        runner.pid,
        "it finished on the draining runner",
      );
      const events = runner.events.map((e) => e.event);
      assert.ok(events.indexOf("draining") < events.indexOf("done"), events.join(" "));
      assert.ok(events.indexOf("done") < events.indexOf("stopped"), events.join(" "));
    } finally {
      Deno.env.delete("CAIRN_SLOW_DIR");
      await runner.stop();
    }
  });
});

Deno.test("a miss sent while no runner is up waits in the database, says so, and completes once a runner starts", async () => {
  await withCluster("no runner yet", async (sql, root) => {
    const lines: string[] = [];
    const progress = {
      stepStarted: () => {},
      stepFinished: () => {},
      iterationFinished: () => {},
      scenarioFinished: () => {},
      log: (line: string) => void lines.push(line),
    };
    const layer = Pipeline.layerDisk({
      root,
      progress,
      executor: cluster({ sql, sayWaitingAfterMs: 1000 }),
    });
    const running = Effect.runPromise(
      Effect.flatMap(where({}), (w) => read(w.pid.id)).pipe(Effect.provide(layer)),
    );
    const deadline = Date.now() + 20_000;
    while (!lines.some((l) => l.includes("no runner has answered")) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const said = lines.find((l) => l.includes("no runner has answered"));
    assert.ok(said, `said nothing: ${JSON.stringify(lines)}`);
    assert.match(said, /cluster\.where: no runner has answered in 1s/);
    assert.match(said, /cairn runner --sql postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres/);
    const runner = await startRunner(sql, root);
    try {
      assert.equal(await within(30_000, "the waiting miss", running), runner.pid);
    } finally {
      await runner.stop();
    }
  });
});

Deno.test("PostgreSQL restarted in the middle of a sweep: every scenario ends with its right result, or the sweep fails saying so", async () => {
  const pg = await postgresOrSkip('the cluster test "PostgreSQL restarted"');
  if (!pg) return;
  const dir = Deno.makeTempDirSync({ prefix: "cairn-cluster-" });
  const root = `${dir}/store`;
  const slowDir = `${dir}/slow`;
  Deno.mkdirSync(slowDir);
  Deno.env.set("CAIRN_SLOW_DIR", slowDir);
  const runner = await startRunner(pg.url, root);
  try {
    const labels = ["a", "b", "c", "d"];
    const program = sweep(
      "restart",
      Object.fromEntries(labels.map((l) => [l, l])),
      (label) =>
        Effect.gen(function* () {
          const s = yield* slow({ label: yield* input.value(label) });
          return yield* read(s.label.id);
        }),
    );
    const running = Effect.runPromiseExit(program.pipe(Effect.provide(layerOf(root, pg.url))));
    while ([...Deno.readDirSync(slowDir)].length === 0) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const t0 = performance.now();
    await pg.restart();
    console.log(`PostgreSQL restarted in ${Math.round(performance.now() - t0)} ms`);
    const exit = await within(120_000, "the sweep after the restart", running);
    if (exit._tag === "Success") {
      for (const label of labels) assert.equal(exit.value[label], label, `${label}'s own result`);
      const counts = await Effect.runPromise(
        Effect.gen(function* () {
          const snapshot = yield* (yield* Pipeline).store.index(CACHE_INDEX).snapshot();
          return [...snapshot.values()].map((values) => values.length);
        }).pipe(Effect.provide(Pipeline.layerDisk({ root }))),
      );
      assert.deepEqual(counts, labels.map(() => 1), "one cache entry per key");
      console.log("the sweep completed across the restart");
    } else {
      const error = Effect.runSync(Effect.flip(Effect.failCause(exit.cause)));
      console.log(`the sweep failed: ${(error as Error).message}`);
      assert.match((error as Error).message, /cluster/);
    }
  } finally {
    Deno.env.delete("CAIRN_SLOW_DIR");
    await runner.stop();
    await pg.stop();
    Deno.removeSync(dir, { recursive: true });
  }
});
