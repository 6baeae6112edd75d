/**
 * A cluster runner: a long-lived process that joins an Effect Cluster whose storage is
 * a PostgreSQL database, serves the `cairn/Step` entity (see `step_entity.ts`) and runs
 * the invocations sent to it in its own process, straight into the store it opened —
 * the same disk store as the pipeline processes that send them, or, on another host, a
 * store of its own with the remote it shares with them: then it brings an invocation's
 * inputs from the remote first, and uploads the run and its cache entry before it
 * replies, so that the reply names only what the remote holds.
 *
 * An `Execute` message is idempotent by cache key: a key whose usable run is already
 * in the store (a message redelivered after the runner that ran it died just after
 * recording it, or an invocation another process computed meanwhile) answers with that
 * run, and no second run is recorded. Otherwise the runner finds the step's module by
 * its address under its own project (see `step_module.ts`), imports it (once), checks
 * that its own declaration gives the invocation's key, and runs it.
 *
 * Shutting down (SIGTERM in `cairn runner`, interruption here) drains: the runner stops
 * taking messages, lets the ones running finish (up to `drainSeconds`), and releases
 * its shards; messages not yet started stay in PostgreSQL and go to the runner that
 * takes the shards over.
 *
 * @module
 */
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket";
import * as PgClient from "@effect/sql-pg/PgClient";
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import * as Layer from "effect/Layer";
import * as Logger from "effect/Logger";
import * as References from "effect/References";
import * as Option from "effect/Option";
import * as Redacted from "effect/Redacted";
import * as RunnerAddress from "effect/cluster/RunnerAddress";
import * as ShardId from "effect/cluster/ShardId";
import * as Sharding from "effect/cluster/Sharding";
import * as ShardingConfig from "effect/cluster/ShardingConfig";
import * as Context from "effect/Context";
import { resolve } from "node:path";
import {
  decodeStepInvocation,
  type ExecutionResult,
  type StepInvocation,
} from "../../model/step_invocation.ts";
import { ExecutorFailed, type PipelineError, pipelineError } from "../errors.ts";
import { CACHE_INDEX, decodeCacheValue } from "../../model/cache_entry.ts";
import { inProcess } from "../execute.ts";
import { Pipeline, type PipelineApi } from "../pipeline.ts";
import type { Progress } from "../progress.ts";
import { findStep } from "../registry.ts";
import { applyEnv, failureOf, importOnce, refusal } from "../remote_run.ts";
import { usable } from "../step.ts";
import { encodePipelineError } from "../wire_error.ts";
import { RunnerError } from "./runner_error.ts";
import { type ExecuteReply, inputLinks, StepEntity } from "./step_entity.ts";
import { runnerProjects, stepModule } from "./step_module.ts";

/** What a runner logs: one event per line (`--json` prints them as JSON). */
export type RunnerEvent =
  | {
    readonly event: "ready";
    readonly address: string;
    readonly pid: number;
    /** The project roots it finds steps' modules under (see `step_module.ts`). */
    readonly projects: readonly string[];
  }
  | {
    readonly event: "done" | "cached" | "failed" | "refused";
    readonly step: string;
    readonly iteration: number | null;
    readonly key: string;
    readonly ms: number;
    readonly detail?: string;
  }
  | { readonly event: "draining" | "stopped"; readonly address: string }
  /** How many of the default group's shards it holds now (said when that changes). */
  | { readonly event: "shards"; readonly held: number; readonly of: number }
  | { readonly event: "log"; readonly line: string };

/** Options of {@linkcode runner}. */
export interface RunnerOptions {
  /** The cluster's PostgreSQL database (`postgres://user@host:port/db`). */
  readonly sql: string;
  /**
   * The store's root directory: the pipeline processes' store, or, on another host,
   * a store of its own with {@linkcode RunnerOptions.remote}.
   */
  readonly store: string;
  /**
   * The remote (a name in the store's remotes file) that a runner on another host
   * shares with the pipeline: it brings an invocation's inputs from there and uploads
   * each run before it replies (default `$CAIRN_REMOTE`, else none).
   */
  readonly remote?: string;
  /**
   * Modules to import at start (the pipeline's step modules), so a bad one fails now;
   * their project is where the runner finds the modules of the steps it is sent, by
   * their addresses (with none, the project of the current directory).
   */
  readonly modules?: readonly string[];
  /** The host other runners and clients reach this runner at (default `localhost`). */
  readonly host?: string;
  /** Its port (default 34431). */
  readonly port?: number;
  /** How long a shutdown waits for running invocations (default 60 s). */
  readonly drainSeconds?: number;
  /** Where events go (default: nowhere). */
  readonly log?: (event: RunnerEvent) => void;
  /** Sharding settings (tests shorten the intervals; every runner must agree on shards). */
  readonly sharding?: Partial<ShardingConfig.ShardingConfig["Service"]>;
}

const quiet = (log: (event: RunnerEvent) => void): Progress => ({
  stepStarted: () => {},
  stepFinished: () => {},
  iterationFinished: () => {},
  scenarioFinished: () => {},
  log: (line) => log({ event: "log", line }),
});

// The key's usable run in the store, if there is one (what a redelivered message answers).
const cachedRun = (pipeline: PipelineApi, key: string) =>
  Effect.gen(function* () {
    const value = yield* pipeline.store.index(CACHE_INDEX).get(key);
    const entry = value === undefined ? undefined : decodeCacheValue(value);
    return entry && (yield* usable(pipeline, entry, key, undefined));
  }).pipe(Effect.orElseSucceed(() => undefined));

// The step's module imported (found by its address under the runner's projects, unless
// a module imported already declared it), or why it cannot be.
const loaded = (
  invocation: StepInvocation,
  projects: readonly string[],
  sent: string,
): Effect.Effect<string | undefined> =>
  Effect.suspend(() => {
    if (findStep(invocation)) return Effect.succeed(undefined);
    const module = stepModule(invocation.address!, projects, sent);
    if ("missing" in module) return Effect.succeed(module.missing);
    return Effect.promise(() => importOnce(module.path));
  });

const handle = (
  pipeline: PipelineApi,
  projects: readonly string[],
  who: string,
  log: (event: RunnerEvent) => void,
  payload: { readonly module: string; readonly invocation: unknown },
): Effect.Effect<ExecuteReply> =>
  Effect.gen(function* () {
    const started = performance.now();
    const invocation = decodeStepInvocation(payload.invocation);
    if (!invocation || invocation.address === null) {
      return {
        type: "refused",
        runner: who,
        reason: "the message is not a step invocation with an address (another cairn version?)",
      } as const;
    }
    const said = (event: "done" | "cached" | "failed" | "refused", detail?: string) =>
      log({
        event,
        step: invocation.step,
        iteration: invocation.iteration,
        key: invocation.key,
        ms: Math.round(performance.now() - started),
        ...(detail === undefined ? {} : { detail }),
      });
    const failedReply = (error: PipelineError) => {
      said("failed", error.message);
      return { type: "failed", runner: who, error: encodePipelineError(error) } as const;
    };
    const cached = yield* cachedRun(pipeline, invocation.key);
    if (cached) {
      const unsent = yield* uploaded(pipeline, invocation, cached);
      if (unsent) return failedReply(unsent);
      said("cached");
      return { type: "done", runner: who, cached: true, result: cached } as const;
    }
    const unloadable = yield* loaded(invocation, projects, payload.module);
    const reason = unloadable ?? (yield* refusal(invocation, pipeline));
    if (reason !== undefined) {
      said("refused", reason);
      return { type: "refused", runner: who, reason } as const;
    }
    applyEnv(invocation);
    const remote = pipeline.remote;
    const exit = yield* Effect.exit(
      Effect.andThen(
        // The inputs' bytes this store lacks, in one parallel download.
        remote
          ? Effect.mapError(
            remote.fetch(inputLinks(invocation, { producers: false })),
            pipelineError,
          )
          : Effect.void,
        inProcess(pipeline).execute(invocation),
      ),
    );
    if (Exit.isSuccess(exit)) {
      const unsent = yield* uploaded(pipeline, invocation, exit.value);
      if (unsent) return failedReply(unsent);
      said("done");
      return { type: "done", runner: who, cached: false, result: exit.value } as const;
    }
    if (Exit.hasInterrupts(exit)) return yield* Effect.interrupt;
    return failedReply(failureOf(invocation, exit));
  });

// With a remote, the run (and its cache entry) uploaded before the reply names it — the
// pipeline on another host reads it from there; the error to reply when that failed.
const uploaded = (pipeline: PipelineApi, invocation: StepInvocation, result: ExecutionResult) =>
  pipeline.remote
    ? pipeline.remote.upload(invocation.key, result).pipe(
      Effect.as(undefined),
      Effect.catch((e) =>
        Effect.succeed(pipelineError(
          new ExecutorFailed({
            step: invocation.step,
            iteration: invocation.iteration,
            executor: "cluster",
            detail: `the runner ran it, but uploading run ${
              result.run.slice(0, 12)
            } to the remote "${
              pipeline.remote!.name
            }" failed (${e.message}); the run is in the runner's store, and the remote must be reachable from the runner for a pipeline on another host to read it`,
          }),
        ))
      ),
    )
    : Effect.succeed(undefined);

/**
 * Runs a cluster runner until interrupted (then drains, see the module doc); fails
 * with a {@linkcode RunnerError} when it cannot start.
 *
 * @example
 * ```ts ignore
 * import { Effect } from "effect"
 * import { runner } from "cairn/cluster"
 *
 * await Effect.runPromise(runner({
 *   sql: "postgres://postgres@127.0.0.1:5432/postgres",
 *   store: ".cairn",
 *   modules: ["pipeline.ts"],
 *   port: 34431,
 * }))
 * ```
 */
export const runner = (options: RunnerOptions): Effect.Effect<never, RunnerError> =>
  Effect.gen(function* () {
    const log = options.log ?? (() => {});
    const projects = runnerProjects(options.modules ?? [], Deno.cwd());
    for (const module of options.modules ?? []) {
      const failed = yield* Effect.promise(() => importOnce(resolve(module)));
      if (failed !== undefined) {
        return yield* Effect.fail(new RunnerError({ reason: "ModuleNotImported", detail: failed }));
      }
    }
    const host = options.host ?? "localhost";
    const port = options.port ?? 34431;
    const address = `${host}:${port}`;
    const who = `${address} pid ${Deno.pid}`;
    const entity = StepEntity.toLayer(
      Effect.gen(function* () {
        const pipeline = yield* Pipeline;
        return StepEntity.of({
          Execute: ({ payload }) => handle(pipeline, projects, who, log, payload),
        });
      }),
      // One entity per cache key; an idle one is passivated soon.
      { maxIdleTime: "10 seconds" },
    );
    const shards = options.sharding?.shardsPerGroup ?? ShardingConfig.defaults.shardsPerGroup;
    const cluster = NodeClusterSocket.layer({
      storage: "sql",
      shardingConfig: {
        entityTerminationTimeout: `${options.drainSeconds ?? 60} seconds`,
        // A client that has not yet read the shard assignments (its first miss) only
        // stores the message; the owner finds it at its next poll (10 s by default).
        entityMessagePollInterval: "1 second",
        ...options.sharding,
        runnerAddress: Option.some(RunnerAddress.make(host, port)),
      },
    }).pipe(
      Layer.provide(
        PgClient.layer({ url: Redacted.make(options.sql), applicationName: `cairn runner ${who}` }),
      ),
    );
    const pipeline = Pipeline.layerDisk({
      root: options.store,
      progress: quiet(log),
      ...(options.remote ? { remote: options.remote } : {}),
    });
    const all = entity.pipe(Layer.provideMerge(cluster), Layer.provide(pipeline));
    return yield* Effect.scoped(Effect.gen(function* () {
      const built = yield* Layer.build(all).pipe(Effect.mapError((e) => runnerError(e)));
      log({ event: "ready", address, pid: Deno.pid, projects });
      yield* Effect.forkScoped(sayShards(Context.get(built, Sharding.Sharding), shards, log));
      yield* Effect.addFinalizer(() => Effect.sync(() => log({ event: "draining", address })));
      return yield* Effect.never;
    })).pipe(
      Effect.ensuring(Effect.sync(() => log({ event: "stopped", address }))),
      // The cluster's own log lines go where the runner's events go.
      Effect.provide(Logger.layer([clusterLogger(log)])),
      Effect.provideService(
        References.MinimumLogLevel,
        Deno.env.get("CAIRN_RUNNER_LOG") === "debug" ? "Debug" : "Info",
      ),
    );
  });

// Says how many shards the runner holds whenever that changes (checked every 500 ms):
// a runner that joins holds none until the others release theirs.
const sayShards = (
  sharding: Sharding.Sharding["Service"],
  of: number,
  log: (event: RunnerEvent) => void,
) =>
  Effect.gen(function* () {
    let said = -1;
    for (;;) {
      let held = 0;
      for (let i = 1; i <= of; i++) if (sharding.hasShardId(ShardId.make("default", i))) held++;
      if (held !== said) log({ event: "shards", held, of });
      said = held;
      yield* Effect.sleep("500 millis");
    }
  });

const clusterLogger = (log: (event: RunnerEvent) => void) =>
  Logger.make<unknown, void>(({ message, logLevel, date }) => {
    const parts = Array.isArray(message) ? message : [message];
    const text = parts.map((p) => typeof p === "string" ? p : JSON.stringify(p)).join(" ");
    log({ event: "log", line: `[cluster] ${date.toISOString()} ${logLevel} ${text}` });
  });

// What failed as the runner's layers were built, by the failing service.
const runnerError = (e: { readonly _tag: string; readonly message: string }): RunnerError =>
  new RunnerError({
    reason: e._tag === "StoreError"
      ? "StoreUnavailable"
      : e._tag === "SocketServerError"
      ? "AddressInUse"
      : "ClusterUnavailable",
    detail: e.message,
  });
