/**
 * A step invocation that missed the cache, as an executor receives it: everything
 * needed to run it and record the run, and nothing that only exists in the invoking
 * process — no closure, no service. An executor in another process (a worker, a
 * cluster runner) finds the step by its address, the module's project-relative path
 * and the name the step is bound to (`steps/logsums.ts#logsums`), after importing the
 * module; a step made at run time has no address, and only the in-process executor,
 * which also knows it by a handle of this process (`local`), can run it.
 *
 * @module
 */
import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import { ArtifactRefSchema, InputRefSchema, RecordedComponentsSchema } from "./run_record.ts";

/** An input artifact as an invocation carries it. */
const InvocationInputSchema = Schema.Struct({
  ...InputRefSchema.fields,
  /** Output name, or the file name of an external input. */
  name: Schema.String,
});

/** A step invocation handed to an executor. */
const StepInvocationSchema = Schema.Struct({
  /** `module.ts#binding`, or null for a step made at run time. */
  address: Schema.NullOr(Schema.String),
  /** This process's handle on the declaration (what the in-process executor runs). */
  local: Schema.String,
  step: Schema.String,
  inputs: Schema.Record(Schema.String, Schema.NullOr(InvocationInputSchema)),
  /** The iteration recorded (null for a step outside `iterate` or iteration-invariant). */
  iteration: Schema.NullOr(Schema.Number),
  /** The iteration it was invoked in (an iteration-invariant step must not read it). */
  invokedAt: Schema.NullOr(Schema.Number),
  scenario: Schema.NullOr(Schema.String),
  key: Schema.String,
  components: RecordedComponentsSchema,
  /** True when the config was given at invocation (`step.with({ config })`). */
  configGiven: Schema.optionalKey(Schema.Boolean),
});

/** An input artifact as an invocation carries it. */
export interface InvocationInput {
  /** Object id of the content. */
  readonly id: string;
  /** A blob or a tree. */
  readonly kind: "blob" | "tree";
  /** Codec name. */
  readonly codec: string;
  /** Bytes. */
  readonly size: number;
  /** The run that produced it; null for an external input. */
  readonly producer: string | null;
  /** Output name, or the file name of an external input. */
  readonly name: string;
}

/** A step invocation handed to an executor (see the module doc). */
export interface StepInvocation {
  /** `module.ts#binding`, or null for a step made at run time. */
  readonly address: string | null;
  /** This process's handle on the declaration (what the in-process executor runs). */
  readonly local: string;
  /** The step's name. */
  readonly step: string;
  /** Every declared input: its artifact, or null for an absent optional one. */
  readonly inputs: Readonly<Record<string, InvocationInput | null>>;
  /** The iteration recorded (null outside `iterate`, or for an iteration-invariant step). */
  readonly iteration: number | null;
  /** The iteration it was invoked in (an iteration-invariant step must not read it). */
  readonly invokedAt: number | null;
  /** The scenario it belongs to (null outside any scenario). */
  readonly scenario: string | null;
  /** Its cache key. */
  readonly key: string;
  /** The key's parts, with the code identity's units. */
  readonly components: {
    readonly code: {
      readonly mode: string;
      readonly identity: string;
      readonly units?: Readonly<Record<string, string>>;
    };
  } & Readonly<Record<string, unknown>>;
  /**
   * True when the config was given at invocation (`step.with({ config })`): the step's
   * `run` receives the config the key holds (`components.config`), not the declared one.
   */
  readonly configGiven?: boolean;
}

const decode = Schema.decodeUnknownResult(StepInvocationSchema);

// The schema decodes to the interface: a mismatch fails to compile.
const _matches: StepInvocation = {} as typeof StepInvocationSchema.Type;
void _matches;

/**
 * Reads a step invocation that crossed a process boundary (as JSON); undefined when it
 * is not one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict"
 * import { decodeStepInvocation } from "cairn"
 *
 * assert.equal(decodeStepInvocation({ step: "x" }), undefined)
 * ```
 */
export const decodeStepInvocation = (value: unknown): StepInvocation | undefined => {
  const result = decode(value);
  return Result.isSuccess(result) ? result.success : undefined;
};

/** What an executor returns: the run record written and the outputs it names. */
export interface ExecutionResult {
  /** The run record written. */
  readonly run: string;
  /** Its outputs, as the run record names them. */
  readonly outputs: Readonly<
    Record<
      string,
      {
        readonly id: string;
        readonly kind: "blob" | "tree";
        readonly codec: string;
        readonly size: number;
      }
    >
  >;
}

const ExecutionResultSchema = Schema.Struct({
  run: Schema.String,
  outputs: Schema.Record(Schema.String, ArtifactRefSchema),
});
const decodeResult = Schema.decodeUnknownResult(ExecutionResultSchema);

/** Reads an execution result that crossed a process boundary; undefined when it is not one. */
export const decodeExecutionResult = (value: unknown): ExecutionResult | undefined => {
  const result = decodeResult(value);
  return Result.isSuccess(result) ? result.success : undefined;
};
