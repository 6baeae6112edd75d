// The workers executor: misses run in worker processes, at the same time when the
// program runs them concurrently; hits never leave the pipeline process; a step's
// failure arrives as the same typed error; a worker that dies fails its invocation
// and is replaced; what a worker cannot run as keyed runs in the pipeline process.
import assert from "node:assert/strict";
import { Effect, type Layer } from "effect";
import { Json, Pipeline, PipelineError, step, workers, type WorkersApi } from "../../../../mod.ts";
import { crash, double, meetA, meetB, salted, singular, sleepyA, where } from "./_steps.ts";

Deno.env.set("CAIRN_PROGRESS", "0");

const decode = (
  pipeline: { store: { readBlob: (id: string) => Effect.Effect<Uint8Array, unknown> } },
  id: string,
) => Effect.map(pipeline.store.readBlob(id), (b) => JSON.parse(new TextDecoder().decode(b)));

const withStore = async (f: (root: string, dir: string) => Promise<void>) => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-workers-" });
  try {
    await f(`${dir}/store`, dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
};

const layerOf = (root: string, size: number) =>
  Pipeline.layerDisk({ root, executor: workers({ size }) });

const statsOf = Effect.gen(function* () {
  return ((yield* Pipeline).executor as WorkersApi).stats();
});

Deno.test("misses run in worker processes, at the same time when the program runs them concurrently", async () => {
  await withStore(async (root, dir) => {
    Deno.mkdirSync(`${dir}/meet`);
    Deno.env.set("CAIRN_MEET_DIR", `${dir}/meet`);
    const pids = await Effect.runPromise(
      Effect.gen(function* () {
        const pipeline = yield* Pipeline;
        // Each waits for the other: run one after the other, both would time out.
        const [a, b] = yield* Effect.all([meetA({}), meetB({})], { concurrency: 2 });
        return [yield* decode(pipeline, a.pid.id), yield* decode(pipeline, b.pid.id)];
      }).pipe(Effect.provide(layerOf(root, 2))),
    );
    const [a, b] = pids as number[];
    assert.equal(typeof a, "number");
    assert.notEqual(a, Deno.pid, "not run in the pipeline process");
    assert.notEqual(b, Deno.pid);
    assert.notEqual(a, b, "two workers");
  });
});

Deno.test("hits never leave the pipeline process: a replay starts no worker", async () => {
  await withStore(async (root) => {
    const program = Effect.gen(function* () {
      const pipeline = yield* Pipeline;
      const w = yield* where({});
      const d = yield* double({ x: w.pid });
      const y = yield* decode(pipeline, d.y.id);
      const pid = yield* decode(pipeline, d.pid.id);
      return { y, pid, stats: yield* statsOf };
    });
    const first = await Effect.runPromise(program.pipe(Effect.provide(layerOf(root, 2))));
    assert.notEqual(first.pid, Deno.pid);
    assert.equal(first.stats.started, 1, "one worker ran both misses in turn");
    const again = await Effect.runPromise(program.pipe(Effect.provide(layerOf(root, 2))));
    assert.deepEqual(again.y, first.y);
    assert.equal(again.stats.started, 0, "all hits: no worker was started");
  });
});

Deno.test("a step that throws in a worker fails as it does in process: the same typed error and message", async () => {
  await withStore(async (root, dir) => {
    const failure = async (layer: Layer.Layer<Pipeline, unknown>) => {
      const exit = await Effect.runPromiseExit(Effect.provide(singular({}), layer));
      assert.equal(exit._tag, "Failure");
      const error = exit._tag === "Failure" ? exit.cause : undefined;
      return Effect.runSync(Effect.flip(Effect.failCause(error!)));
    };
    const remote = await failure(layerOf(root, 1));
    const local = await failure(Pipeline.layerDisk({ root: `${dir}/other` }));
    assert.ok(remote instanceof PipelineError);
    assert.equal(remote.reason._tag, "StepFailed");
    assert.equal(remote.message, (local as PipelineError).message);
    const cause = (remote.reason as { cause: unknown }).cause as Error;
    assert.equal(cause.name, "RangeError");
    assert.match(cause.stack ?? "", /_steps\.ts/, "the stack is the worker's, where it was thrown");
  });
});

Deno.test("a worker that dies fails its invocation with ExecutorFailed, and the pool replaces it", async () => {
  await withStore(async (root) => {
    const result = await Effect.runPromise(
      Effect.gen(function* () {
        const pipeline = yield* Pipeline;
        const died = yield* Effect.flip(crash({}));
        const w = yield* where({});
        return { died, pid: yield* decode(pipeline, w.pid.id), stats: yield* statsOf };
      }).pipe(Effect.provide(layerOf(root, 1))),
    );
    assert.equal(result.died.reason._tag, "ExecutorFailed");
    assert.match(result.died.message, /crash/);
    assert.match(result.died.message, /SIGKILL/);
    assert.notEqual(result.pid, Deno.pid, "the next miss ran in a new worker");
    assert.equal(result.stats.started, 2);
  });
});

Deno.test("a step made at run time runs in the pipeline process", async () => {
  await withStore(async (root) => {
    const late = () =>
      step({ name: "late", outputs: { pid: Json }, run: () => ({ pid: Deno.pid }) });
    const pid = await Effect.runPromise(
      Effect.gen(function* () {
        const pipeline = yield* Pipeline;
        const { pid } = yield* late()({});
        return yield* decode(pipeline, pid.id);
      }).pipe(Effect.provide(layerOf(root, 1))),
    );
    assert.equal(pid, Deno.pid);
  });
});

Deno.test("a worker whose declaration keys the invocation otherwise refuses it: it runs in the pipeline process with its keyed config", async () => {
  await withStore(async (root) => {
    const logged: string[] = [];
    // This process declared `salted` with the salt "none"; a worker started now declares
    // it with another salt, so another key: it must not run it under this one.
    Deno.env.set("CAIRN_TEST_SALT", "changed");
    try {
      const out = await Effect.runPromise(
        Effect.gen(function* () {
          const pipeline = yield* Pipeline;
          const log = pipeline.progress.log;
          (pipeline.progress as { log: (l: string) => void }).log = (l) => {
            logged.push(l);
            log(l);
          };
          const s = yield* salted({});
          return yield* decode(pipeline, s.salt.id);
        }).pipe(Effect.provide(layerOf(root, 1))),
      );
      assert.equal(out, "none", "run with the config its key was computed from");
    } finally {
      Deno.env.delete("CAIRN_TEST_SALT");
    }
    assert.ok(
      logged.some((l) =>
        /salted runs in the pipeline process: its key here differs \(config\.salt/.test(l)
      ),
      logged.join("\n"),
    );
  });
});

// The pids in `dir` once `count` workers have started their steps.
const busyWorkers = async (dir: string, count: number): Promise<number[]> => {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const pids = [...Deno.readDirSync(dir)].map((e) => Number(e.name));
    if (pids.length >= count) return pids;
    if (Date.now() > deadline) throw new Error(`only ${pids.length} of ${count} workers started`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

const alive = (pid: number): boolean => {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
};

const allGone = async (pids: readonly number[], withinMs: number): Promise<number[]> => {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const left = pids.filter(alive);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
};

const busyPipeline = (root: string, dir: string) =>
  new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${import.meta.dirname}/_busy_pipeline.ts`, root],
    env: { CAIRN_SLEEPY_DIR: dir, CAIRN_PROGRESS: "0" },
    stdout: "null",
    stderr: "piped",
  }).spawn();

Deno.test("SIGTERM to the pipeline process stops its busy workers and records the scenario as interrupted", async () => {
  await withStore(async (root, dir) => {
    Deno.mkdirSync(`${dir}/busy`);
    const child = busyPipeline(root, `${dir}/busy`);
    const pids = await busyWorkers(`${dir}/busy`, 2);
    child.kill("SIGTERM");
    const status = await child.status;
    await child.stderr.cancel();
    assert.equal(status.code, 143);
    assert.deepEqual(await allGone(pids, 5_000), [], "no worker outlives the pipeline");
    const record = await Effect.runPromise(
      Effect.gen(function* () {
        const { store } = yield* Pipeline;
        return yield* store.readRecord((yield* store.readRef("scenarios/busy"))!);
      }).pipe(Effect.provide(Pipeline.layerDisk({ root }))),
    );
    assert.equal(record.status, "interrupted");
  });
});

Deno.test("a pipeline process killed with SIGKILL leaves no worker behind, even one in the middle of a step", async () => {
  await withStore(async (root, dir) => {
    Deno.mkdirSync(`${dir}/busy`);
    const child = busyPipeline(root, `${dir}/busy`);
    const pids = await busyWorkers(`${dir}/busy`, 2);
    child.kill("SIGKILL");
    await child.status;
    await child.stderr.cancel();
    assert.deepEqual(await allGone(pids, 5_000), [], "each worker killed itself");
  });
});

Deno.test("a sibling's failure interrupts an invocation running in a worker, and stops that worker", async () => {
  await withStore(async (root, dir) => {
    Deno.mkdirSync(`${dir}/busy`);
    Deno.env.set("CAIRN_SLEEPY_DIR", `${dir}/busy`);
    const run = Effect.gen(function* () {
      // The failure comes once the sleeper has started in its worker.
      const failLater = Effect.promise(() => busyWorkers(`${dir}/busy`, 1)).pipe(
        Effect.andThen(singular({})),
      );
      return yield* Effect.flip(Effect.all([sleepyA({}), failLater], { concurrency: 2 }));
    });
    const error = await Effect.runPromise(run.pipe(Effect.provide(layerOf(root, 2))));
    assert.equal(error.reason._tag, "StepFailed");
    const pids = [...Deno.readDirSync(`${dir}/busy`)].map((e) => Number(e.name));
    assert.deepEqual(await allGone(pids, 5_000), [], "the sleeper's worker was stopped");
  });
});
