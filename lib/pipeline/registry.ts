/**
 * The steps this process has declared, by address and by a handle of this process.
 * Modules register their steps as they are evaluated, so a process that imports the
 * same module (a worker) finds the same step by its address.
 *
 * @module
 */
import type * as Effect from "effect/Effect";
import type { ObjectId } from "../../store/object_id.ts";
import type { RunRecord } from "../model/run_record.ts";
import type { StepInvocation } from "../model/step_invocation.ts";
import type { Codec, InputSpec } from "./codecs/codec.ts";
import type { PipelineError } from "./errors.ts";
import type { PipelineApi } from "./pipeline_api.ts";
import type { Scratch } from "./scratch.ts";
import type { StepContext } from "./step_context.ts";

/** What a prepared body (a `command`) hands back to the miss path. */
export interface BodyResult {
  /** Output name → the file or directory it wrote (moved into the store). */
  readonly outputs: Readonly<Record<string, string>>;
  /** Fields the run record gets besides the usual ones. */
  readonly record: Pick<RunRecord, "command" | "logs">;
  /** Objects the run record must link (so gc keeps them): its logs and sources. */
  readonly links: readonly ObjectId[];
  /** Why the run must not be cached (a source changed while it ran), if so. */
  readonly uncached?: string;
}

/** A miss body: it stages its own inputs and returns the files of its outputs. */
export type Body = (scratch: Scratch) => Effect.Effect<BodyResult, PipelineError>;

/** Everything needed to run a step, as its declaration gave it. */
export interface StepDefinition {
  readonly name: string;
  /** `module.ts#binding`, or null for a step made at run time. */
  readonly address: string | null;
  /** A plain step's run: decoded inputs in, values (or files under ctx.outDir) out. */
  readonly run?: (inputs: Record<string, unknown>, config: unknown, ctx: StepContext) => unknown;
  /**
   * Instead of `run` (a `command`): the body for an invocation, prepared from it — in
   * the invoking process the one its key was computed with, elsewhere afresh (and
   * checked against the invocation's key parts).
   */
  readonly prepare?: (
    invocation: StepInvocation,
    pipeline: PipelineApi,
  ) => Effect.Effect<Body, PipelineError>;
  readonly config: unknown;
  readonly inputSpecs: Readonly<Record<string, InputSpec>>;
  readonly outputSpecs: Readonly<Record<string, Codec>>;
  readonly iterationInvariant: boolean;
  /** The files its code identity was computed from. */
  readonly sources: readonly string[];
}

const byLocal = new Map<string, StepDefinition>();
const byAddress = new Map<string, StepDefinition>();
let counter = 0;
// Handles carry this process's own token: one sent to another process (inside an
// invocation) names nothing there, so it can never pick out another step of that
// process, which numbers its declarations from 0 as this one does.
const PROCESS = crypto.randomUUID();

/** Registers a declaration; returns its handle in this process. */
export const registerStep = (definition: StepDefinition): string => {
  const local = `local:${PROCESS}:${counter++}`;
  byLocal.set(local, definition);
  // The first declaration at an address wins: a module is evaluated once per process.
  if (definition.address !== null && !byAddress.has(definition.address)) {
    byAddress.set(definition.address, definition);
  }
  return local;
};

/** The declaration an invocation names: by this process's handle, else by address. */
export const findStep = (
  invocation: { readonly local: string; readonly address: string | null },
): StepDefinition | undefined =>
  byLocal.get(invocation.local) ??
    (invocation.address === null ? undefined : byAddress.get(invocation.address));
