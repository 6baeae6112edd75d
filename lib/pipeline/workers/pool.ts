/**
 * The `workers` executor: misses run in a pool of worker processes on this machine
 * (`worker_main.ts`), so a program that runs steps concurrently (`Effect.all` or
 * `Effect.forEach` with `concurrency`, `sweep`) uses every core. Hits never leave the
 * pipeline process; a miss is sent to an idle worker, or waits for one.
 *
 * Workers are Deno subprocesses, started on the first miss that needs one and kept
 * until the pipeline ends. A subprocess, not a Web Worker: a step that crashes its
 * process (out of memory, `Deno.exit`, a native crash), changes the working directory
 * or the environment, or blocks its thread for hours takes only its worker with it, and
 * the pool can always stop it (see the README for the measurements behind the choice).
 * A worker that dies fails the invocation it was running with `ExecutorFailed` and is
 * replaced by the next miss that needs one; interrupting an invocation (Ctrl-C, a
 * failed sibling) stops its worker; the pool's end stops them all, and a worker whose
 * pipeline process is killed kills itself.
 *
 * An invocation a worker cannot run as keyed — a step made at run time (no address), a
 * module that cannot be imported there, a declaration whose key differs there (its
 * source was edited since the pipeline started) — runs in the pipeline process
 * instead, with a note.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import * as Semaphore from "effect/Semaphore";
import { existsSync } from "node:fs";
import { projectOf } from "../../identity/project.ts";
import {
  decodeExecutionResult,
  type ExecutionResult,
  type StepInvocation,
} from "../../model/step_invocation.ts";
import { ExecutorFailed, type PipelineError, pipelineError } from "../errors.ts";
import { inProcess } from "../execute.ts";
import { Executor, type ExecutorApi } from "../executor.ts";
import { Pipeline, type PipelineApi } from "../pipeline.ts";
import { findStep } from "../registry.ts";
import { decodePipelineError } from "../wire_error.ts";
import { Channel, type FromWorker, type ToWorker } from "./protocol.ts";

/** What the pool is doing. */
export interface PoolStats {
  /** Worker processes at most. */
  readonly size: number;
  /** Worker processes started so far (replacements included). */
  readonly started: number;
  /** Worker processes alive now. */
  readonly alive: number;
  /** Invocations waiting for a worker. */
  readonly queued: number;
  /** What the busy workers run (`step@iteration`). */
  readonly running: readonly string[];
}

/** The workers executor, with a view of its pool. */
export interface WorkersApi extends ExecutorApi {
  /** What the pool is doing now. */
  readonly stats: () => PoolStats;
}

/** Options of the {@linkcode workers} executor. */
export interface WorkersOptions {
  /** How many worker processes at most (default: the number of cores). */
  readonly size?: number;
}

const WORKER_MAIN = new URL("./worker_main.ts", import.meta.url).href;

type Reply =
  | { readonly type: "done"; readonly result: ExecutionResult }
  | { readonly type: "failed"; readonly error: unknown }
  | { readonly type: "refused"; readonly reason: string }
  | { readonly type: "lost"; readonly detail: string };

/** One worker process. */
class WorkerProcess {
  readonly child: Deno.ChildProcess;
  readonly status: Promise<Deno.CommandStatus>;
  channel: Channel<FromWorker, ToWorker> | undefined;
  #waiting: ((reply: Reply) => void) | undefined;
  #nextId = 0;
  dead: string | undefined;
  /** What it runs now (for progress). */
  running: string | undefined;

  constructor(child: Deno.ChildProcess) {
    this.child = child;
    this.status = child.status;
    this.status.then((status) => this.#lost(describeExit(status)));
  }

  get pid(): number {
    return this.child.pid;
  }

  /** Reads its messages until its socket closes. */
  async listen(channel: Channel<FromWorker, ToWorker>, log: (line: string) => void): Promise<void> {
    this.channel = channel;
    for (;;) {
      const message = await channel.receive();
      if (message === undefined) break;
      if (message.type === "log") log(message.line);
      else if (message.type === "done" || message.type === "failed" || message.type === "refused") {
        const waiting = this.#waiting;
        this.#waiting = undefined;
        waiting?.(message);
      }
    }
    // The socket closed: the process is ending; its status says how.
    this.#lost(describeExit(await this.status));
  }

  #lost(detail: string): void {
    this.dead ??= detail;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.({ type: "lost", detail: this.dead });
  }

  /** Sends an invocation; the reply arrives through `onReply`. */
  run(module: string, invocation: StepInvocation, onReply: (reply: Reply) => void): void {
    if (this.dead !== undefined) return onReply({ type: "lost", detail: this.dead });
    this.#waiting = onReply;
    void this.channel!.send({ type: "run", id: this.#nextId++, module, invocation });
  }

  /** Stops it: SIGTERM, then SIGKILL if it is still there after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.dead ??= "stopped by the pool";
    try {
      this.child.kill("SIGTERM");
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        this.child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }, graceMs);
    await this.status;
    clearTimeout(timer);
    this.channel?.close();
  }
}

const describeExit = (status: Deno.CommandStatus): string =>
  status.signal
    ? `it was killed by ${status.signal}${status.signal === "SIGKILL" ? " (out of memory?)" : ""}`
    : `it exited with status ${status.code}`;

/** The pool: its socket, its workers and who waits for one. */
class Pool {
  readonly size: number;
  readonly permits: Semaphore.Semaphore;
  readonly idle: WorkerProcess[] = [];
  readonly all = new Set<WorkerProcess>();
  queued = 0;
  #listener: Deno.Listener | undefined;
  #dir: string | undefined;
  readonly #hellos = new Map<string, (channel: Channel<FromWorker, ToWorker>) => void>();
  #closed = false;
  /** Steps already said to run here rather than in a worker. */
  readonly noted = new Set<string>();
  /** Worker processes started (for tests and progress). */
  started = 0;

  constructor(size: number) {
    this.size = size;
    this.permits = Semaphore.makeUnsafe(size);
  }

  #socket(): string {
    if (this.#listener) return this.#dir! + "/pool.sock";
    this.#dir = Deno.makeTempDirSync({ prefix: "cairn-pool-" });
    const path = `${this.#dir}/pool.sock`;
    const listener = Deno.listen({ transport: "unix", path });
    this.#listener = listener;
    (async () => {
      for await (const conn of listener) {
        const channel = new Channel<FromWorker, ToWorker>(conn);
        channel.receive().then((hello) => {
          const waiting = hello?.type === "hello" ? this.#hellos.get(hello.token) : undefined;
          if (waiting) waiting(channel);
          else channel.close();
        });
      }
    })().catch(() => {});
    return path;
  }

  /** Starts a worker for `pipeline`'s store; it is ready when this resolves. */
  async spawn(pipeline: PipelineApi, config: string | undefined): Promise<WorkerProcess> {
    if (this.#closed) throw new Error("the worker pool has stopped");
    const socket = this.#socket();
    const token = crypto.randomUUID();
    const connected = new Promise<Channel<FromWorker, ToWorker>>((resolve) =>
      this.#hellos.set(token, resolve)
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        "--quiet",
        "--no-prompt",
        ...(config ? ["--config", config] : []),
        WORKER_MAIN,
        socket,
        token,
      ],
      stdin: "piped",
      stdout: "inherit",
      stderr: "inherit",
      env: { CAIRN_PROGRESS: "0", CAIRN_WORKERS: "0" },
    }).spawn();
    const worker = new WorkerProcess(child);
    this.all.add(worker);
    this.started++;
    try {
      const channel = await Promise.race([
        connected,
        worker.status.then((status) => {
          throw new Error(`the worker process did not start: ${describeExit(status)}`);
        }),
      ]);
      await channel.send({
        type: "setup",
        setup: {
          root: pipeline.store.root,
          link: pipeline.link,
          validate: pipeline.validate,
          debug: pipeline.debug,
        },
      });
      void worker.listen(channel, (line) => pipeline.progress.log(line));
      return worker;
    } catch (e) {
      this.all.delete(worker);
      await worker.stop(1000);
      throw e;
    } finally {
      this.#hellos.delete(token);
    }
  }

  /** Stops every worker and removes the socket. */
  async shutdown(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.all].map(async (worker) => {
      await worker.channel?.send({ type: "exit" });
      try {
        await worker.child.stdin.close();
      } catch {
        // already closed
      }
      const timer = setTimeout(() => void worker.stop(1000), 2000);
      await worker.status;
      clearTimeout(timer);
      worker.channel?.close();
    }));
    this.all.clear();
    this.idle.length = 0;
    this.#listener?.close();
    if (this.#dir) Deno.removeSync(this.#dir, { recursive: true });
  }
}

// The deno.json of the project a module belongs to, which the worker must run with
// (its import map, its lock file, its npm settings).
const configOf = (module: string): string | undefined => {
  const root = projectOf(module).root;
  return ["deno.json", "deno.jsonc"].map((n) => `${root}/${n}`).find((p) => existsSync(p));
};

const failed = (invocation: StepInvocation, worker: WorkerProcess | undefined, detail: string) =>
  pipelineError(
    new ExecutorFailed({
      step: invocation.step,
      iteration: invocation.iteration,
      executor: "workers",
      detail: worker ? `worker process ${worker.pid}: ${detail}` : detail,
    }),
  );

const execute = (pool: Pool, invocation: StepInvocation) =>
  Effect.gen(function* () {
    const found = yield* Effect.serviceOption(Pipeline);
    if (found._tag === "None") {
      return yield* Effect.die(new Error("the workers executor runs steps of a pipeline only"));
    }
    const pipeline = found.value;
    const here = () => inProcess(pipeline).execute(invocation);
    const note = (why: string) =>
      Effect.sync(() => {
        if (pool.noted.has(invocation.step)) return;
        pool.noted.add(invocation.step);
        pipeline.progress.log(`[cairn] ${invocation.step} runs in the pipeline process: ${why}`);
      });
    const module = findStep(invocation)?.module;
    if (invocation.address === null || !module) {
      if (pipeline.debug) yield* note("it has no step address (it was made at run time)");
      return yield* here();
    }
    pool.queued++;
    let waiting = true;
    const reply = yield* pool.permits.withPermits(1)(
      Effect.gen(function* () {
        waiting = false;
        pool.queued--;
        const worker = pool.idle.pop() ??
          (yield* Effect.tryPromise({
            try: () => pool.spawn(pipeline, configOf(module)),
            catch: (e) => failed(invocation, undefined, e instanceof Error ? e.message : String(e)),
          }));
        worker.running = invocation.iteration === null
          ? invocation.step
          : `${invocation.step}@${invocation.iteration}`;
        const answer = yield* Effect.callback<Reply>((resume) => {
          worker.run(module, invocation, (r) => resume(Effect.succeed(r)));
          // Interrupted while the worker runs it: stop the worker (it cannot be told
          // to drop a step half-way); the pool starts another when one is needed.
          return Effect.promise(async () => {
            pool.all.delete(worker);
            await worker.stop(1000);
          });
        });
        worker.running = undefined;
        if (answer.type === "lost") pool.all.delete(worker);
        else pool.idle.push(worker);
        return { answer, worker };
      }),
    ).pipe(Effect.ensuring(Effect.sync(() => {
      if (waiting) pool.queued--;
    })));
    const { answer, worker } = reply;
    switch (answer.type) {
      case "done": {
        const result = decodeExecutionResult(answer.result);
        if (!result) {
          return yield* Effect.fail(failed(invocation, worker, "it sent a malformed result"));
        }
        return result;
      }
      case "failed":
        return yield* Effect.fail(
          decodePipelineError(answer.error, invocation.step, invocation.iteration),
        );
      case "refused":
        yield* note(answer.reason);
        return yield* here();
      case "lost":
        return yield* Effect.fail(
          failed(
            invocation,
            worker,
            `${answer.detail} while it ran the step; the pool replaces it, and running the pipeline again retries the step`,
          ),
        );
    }
  });

/**
 * The executor that runs misses in a pool of worker processes on this machine.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict"
 * import { Effect, Layer } from "effect"
 * import { Json, ObjectStore, Pipeline, step, workers } from "cairn"
 *
 * export const square = step({
 *   name: "square", outputs: { y: Json }, config: { x: 7 }, run: (_, c) => ({ y: c.x * c.x }),
 * })
 * const layer = Pipeline.layer().pipe(
 *   Layer.provide(workers({ size: 2 })),
 *   Layer.provide(ObjectStore.layerTemp),
 * )
 * const y = await Effect.runPromise(Effect.gen(function* () {
 *   const { y } = yield* square({})
 *   const { store } = yield* Pipeline
 *   return JSON.parse(new TextDecoder().decode(yield* store.readBlob(y.id)))
 * }).pipe(Effect.provide(layer)))
 * assert.equal(y, 49)
 * ```
 */
export const workers = (options: WorkersOptions = {}): Layer.Layer<Executor> =>
  Layer.effect(
    Executor,
    Effect.gen(function* () {
      const size = Math.max(1, Math.floor(options.size ?? navigator.hardwareConcurrency ?? 1));
      const pool = new Pool(size);
      yield* Effect.addFinalizer(() => Effect.promise(() => pool.shutdown()));
      const stats = (): PoolStats => ({
        size: pool.size,
        started: pool.started,
        alive: pool.all.size,
        queued: pool.queued,
        running: [...pool.all].flatMap((w) => (w.running ? [w.running] : [])),
      });
      const api: WorkersApi = {
        name: `workers(${size})`,
        remote: true,
        execute: (invocation): Effect.Effect<ExecutionResult, PipelineError> =>
          execute(pool, invocation),
        stats,
        status: () => {
          const { size, queued, running } = stats();
          if (running.length === 0 && queued === 0) return undefined;
          return `workers ${running.length}/${size}${
            running.length ? `: ${running.join(" ")}` : ""
          }${queued ? `, ${queued} queued` : ""}`;
        },
      };
      return api;
    }),
  );
