/**
 * The `cluster` executor: misses become persisted `Execute` messages of the
 * `cairn/Step` entity (see `step_entity.ts`) in an Effect Cluster whose storage is a
 * PostgreSQL database, run by whichever `cairn runner` holds the entity's shard; hits
 * never leave the pipeline process. The entity id is the invocation's cache key, so a
 * sweep's invocations spread over the shards (and the runners that hold them), and a
 * message redelivered after its runner died is answered from the cache when the key
 * was recorded meanwhile (no duplicate run).
 *
 * This process joins the cluster as a client only: it connects to PostgreSQL on the
 * first miss (a replay of hits needs no database), and holds no shards.
 *
 * With a remote cache (runners on other hosts, each with a store of its own), the
 * inputs a message names go to the remote before it, and a replied run this store
 * lacks is taken from the remote as a remote hit is.
 *
 * @module
 */
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket";
import * as PgClient from "@effect/sql-pg/PgClient";
import * as Duration from "effect/Duration";
import * as Effect from "effect/Effect";
import * as Fiber from "effect/Fiber";
import * as Layer from "effect/Layer";
import * as Option from "effect/Option";
import * as Redacted from "effect/Redacted";
import type * as ShardingConfig from "effect/cluster/ShardingConfig";
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
import { inputLinks, StepEntity } from "./step_entity.ts";

/** Options of the {@linkcode cluster} executor. */
export interface ClusterOptions {
  /** The cluster's PostgreSQL database (`postgres://user@host:port/db`), as the runners have it. */
  readonly sql: string;
  /** Sharding settings (every runner and client must agree on the shards). */
  readonly sharding?: Partial<ShardingConfig.ShardingConfig["Service"]>;
  /** How long a miss waits for a runner's answer before the progress output says so (30 000 ms). */
  readonly sayWaitingAfterMs?: number;
}

const failed = (invocation: StepInvocation, detail: string): PipelineError =>
  pipelineError(
    new ExecutorFailed({
      step: invocation.step,
      iteration: invocation.iteration,
      executor: "cluster",
      detail,
    }),
  );

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

// The step's result from a runner's reply, or the typed error it stands for.
const resultOf = (
  invocation: StepInvocation,
  reply: unknown,
): Effect.Effect<ExecutionResult, PipelineError> => {
  const runner = isRecord(reply) && typeof reply.runner === "string" ? reply.runner : "a runner";
  if (isRecord(reply) && reply.type === "done") {
    const result = decodeExecutionResult(reply.result);
    if (result) return Effect.succeed(result);
  }
  if (isRecord(reply) && reply.type === "failed") {
    return Effect.fail(decodePipelineError(reply.error, invocation.step, invocation.iteration));
  }
  if (isRecord(reply) && reply.type === "refused") {
    return Effect.fail(failed(
      invocation,
      `runner ${runner} cannot run the step at ${invocation.address}: ${reply.reason}; start the runners with the pipeline's current code, in a checkout of the same project at any path (cairn runner --module <the pipeline's modules there>, or without --module from a directory of it)`,
    ));
  }
  return Effect.fail(failed(
    invocation,
    `runner ${runner} sent a reply that is not one (another cairn version?): ${
      JSON.stringify(reply).slice(0, 200)
    }`,
  ));
};

/**
 * The executor that hands misses to the runners of an Effect Cluster on PostgreSQL.
 *
 * @example
 * ```ts ignore
 * import { Effect } from "effect"
 * import { Pipeline } from "cairn"
 * import { cluster } from "cairn/cluster"
 * import { sweepProgram } from "./pipeline.ts"
 *
 * // With runners started by `cairn runner --sql … --store .cairn --module pipeline.ts`.
 * await Effect.runPromise(sweepProgram.pipe(Effect.provide(Pipeline.layerDisk({
 *   root: ".cairn",
 *   executor: cluster({ sql: "postgres://postgres@127.0.0.1:5432/postgres" }),
 * }))))
 * ```
 */
export const cluster = (options: ClusterOptions): Layer.Layer<Executor> =>
  Layer.effect(
    Executor,
    Effect.gen(function* () {
      const scope = yield* Effect.scope;
      const client = NodeClusterSocket.layer({
        clientOnly: true,
        storage: "sql",
        shardingConfig: { ...options.sharding, runnerAddress: Option.none() },
      }).pipe(
        Layer.provide(
          PgClient.layer({ url: Redacted.make(options.sql), applicationName: "cairn pipeline" }),
        ),
      );
      // Joined on the first miss, once: a replay of hits needs no database.
      const clientFor = yield* Effect.cached(
        Layer.buildWithScope(client, scope).pipe(
          Effect.flatMap((context) => Effect.provideContext(StepEntity.client, context)),
          Effect.mapError((e) => e.message),
        ),
      );
      const api: ExecutorApi = {
        name: "cluster",
        remote: true,
        execute: (invocation) =>
          Effect.gen(function* () {
            const module = findStep(invocation)?.module;
            if (invocation.address === null || !module) {
              // Not findable by address in another process: run here, as `workers` does.
              const pipeline = yield* Effect.serviceOption(Pipeline);
              if (pipeline._tag === "None") {
                return yield* Effect.die(
                  new Error("the cluster executor runs steps of a pipeline only"),
                );
              }
              return yield* inProcess(pipeline.value).execute(invocation);
            }
            const make = yield* clientFor.pipe(Effect.mapError((detail) =>
              failed(
                invocation,
                `cannot join the cluster at ${
                  redact(options.sql)
                }: ${detail}; check that PostgreSQL is up and the URL is the runners' --sql`,
              )
            ));
            // A persisted message waits for a runner as long as none serves its shard:
            // said once after a while, so a pipeline with no runner is not silent.
            const pipeline = yield* Effect.serviceOption(Pipeline);
            const label = invocation.iteration === null
              ? invocation.step
              : `${invocation.step}@${invocation.iteration}`;
            const after = Duration.millis(options.sayWaitingAfterMs ?? 30_000);
            const say = Effect.sleep(after).pipe(Effect.andThen(Effect.sync(() => {
              if (pipeline._tag === "Some") {
                pipeline.value.progress.log(
                  `[cairn] ${label}: no runner has answered in ${
                    Duration.format(after)
                  }; it waits in the cluster's database for one (is a runner up? cairn runner --sql ${
                    redact(options.sql)
                  } --module <the pipeline's modules>)`,
                );
              }
            })));
            // With a remote, what a runner with a store of its own needs to read is
            // there before the message is: inputs made here (a value, a file, a run of
            // this process) and the runs that made them.
            const remote = pipeline._tag === "Some" ? pipeline.value.remote : undefined;
            if (remote) {
              yield* remote.publish(inputLinks(invocation, { producers: true })).pipe(
                Effect.mapError((e) =>
                  failed(
                    invocation,
                    `sending its inputs to the remote "${remote.name}" failed: ${e.message}`,
                  )
                ),
              );
            }
            const waiting = yield* Effect.forkChild(say);
            const reply = yield* make(invocation.key).Execute({ module, invocation }).pipe(
              Effect.mapError((e) =>
                failed(invocation, `sending it to the cluster failed: ${e.message}`)
              ),
              Effect.ensuring(Fiber.interrupt(waiting)),
            );
            const result = yield* resultOf(invocation, reply);
            if (pipeline._tag === "None") return result;
            return yield* readable(pipeline.value, invocation, result, reply);
          }),
      };
      return api;
    }),
  );

// The replied run, readable here: in this store already (the runner shares it), or
// taken from the remote the runner uploaded it to (a runner with a store of its own,
// on another host) as a remote hit is.
const readable = (
  pipeline: PipelineApi,
  invocation: StepInvocation,
  result: ExecutionResult,
  reply: unknown,
): Effect.Effect<ExecutionResult, PipelineError> =>
  Effect.gen(function* () {
    const here = yield* Effect.orElseSucceed(pipeline.store.has(result.run), () => false);
    if (here) return result;
    const runner = isRecord(reply) && typeof reply.runner === "string" ? reply.runner : "a runner";
    if (!pipeline.remote) {
      return yield* Effect.fail(failed(
        invocation,
        `runner ${runner} ran it into a store this process cannot read (run ${
          result.run.slice(0, 12)
        } is not in ${pipeline.store.root}): a runner on another host has a store of its own, so give the pipeline the remote it shares with the runners (run(program, { remote: "origin", executor: cluster(…) }) or CAIRN_REMOTE=origin; the runners: cairn runner --remote origin)`,
      ));
    }
    const remote = pipeline.remote;
    yield* remote.adopt(invocation.key, result).pipe(Effect.mapError((e) =>
      failed(
        invocation,
        `runner ${runner} ran it, but its run ${
          result.run.slice(0, 12)
        } cannot be read from the remote "${remote.name}": ${e.message}`,
      )
    ));
    return result;
  });

// The URL without its password, for messages.
const redact = (url: string): string => url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
