/**
 * What the `cluster` executor and a cluster runner say to each other: one entity type,
 * `cairn/Step`, with one persisted message, `Execute`, whose entity id is the
 * invocation's cache key. Persisted, so a message survives the runner that was running
 * it and is redelivered to the runner that takes its shard over; keyed by cache key,
 * so the invocations of a sweep land on as many entities (and shards) as it has keys,
 * and two invocations of one key run one after the other on one entity (the second
 * answers from the cache).
 *
 * Payload and reply travel as plain JSON and are decoded by cairn's own decoders
 * (`decodeStepInvocation`, `decodeExecutionResult`, `decodePipelineError`), so a
 * message from another cairn version fails with a message saying what arrived rather
 * than a schema defect inside the cluster.
 *
 * @module
 */
import * as Schema from "effect/Schema";
import * as ClusterSchema from "effect/cluster/ClusterSchema";
import * as Entity from "effect/cluster/Entity";
import * as Rpc from "effect/rpc/Rpc";
import type { ExecutionResult, StepInvocation } from "../../model/step_invocation.ts";
import type { WireError } from "../wire_error.ts";

/** The payload of an `Execute` message. */
export interface ExecutePayload {
  /**
   * The step's defining module as the invoking process knows it (absolute path): a
   * runner imports the module at the invocation's address under its own project, and
   * this path only when that is not there (see `step_module.ts`).
   */
  readonly module: string;
  /** The invocation, as the pipeline process keyed it. */
  readonly invocation: StepInvocation;
}

/** A runner's answer to an `Execute` message. */
export type ExecuteReply =
  | {
    readonly type: "done";
    readonly result: ExecutionResult;
    /** True when the key was already in the cache (a redelivered message). */
    readonly cached: boolean;
    /** Who ran (or found) it: `host:port pid N`. */
    readonly runner: string;
  }
  | { readonly type: "failed"; readonly error: WireError; readonly runner: string }
  /** The runner cannot run it as keyed (its module or declaration differs there). */
  | { readonly type: "refused"; readonly reason: string; readonly runner: string };

/** The `Execute` message: a step invocation in, the runner's reply out. */
export const Execute = Rpc.make("Execute", {
  payload: { module: Schema.String, invocation: Schema.Unknown },
  success: Schema.Unknown,
}).annotate(ClusterSchema.Persisted, true);

/** The entity type runners serve and the `cluster` executor sends to. */
export const StepEntity = Entity.make("cairn/Step", [Execute]);

/**
 * The blobs and trees an invocation reads, with (`producers`) the runs that made them:
 * what a runner with a store of its own downloads (the objects), and what the pipeline
 * sends the remote first (their whole closures).
 */
export const inputLinks = (
  invocation: StepInvocation,
  options: { readonly producers: boolean },
) =>
  Object.values(invocation.inputs).flatMap((i) =>
    i
      ? [
        { id: i.id, kind: i.kind },
        ...(options.producers && i.producer ? [{ id: i.producer, kind: "record" as const }] : []),
      ]
      : []
  );
