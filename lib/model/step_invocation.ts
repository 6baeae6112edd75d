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
import { InputRefSchema, RecordedComponentsSchema } from "./run_record.ts";

/** An input artifact as an invocation carries it. */
export const InvocationInputSchema = Schema.Struct({
  ...InputRefSchema.fields,
  /** Output name, or the file name of an external input. */
  name: Schema.String,
});

/** A step invocation handed to an executor. */
export const StepInvocationSchema = Schema.Struct({
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
});

/** A step invocation handed to an executor. */
export type StepInvocation = typeof StepInvocationSchema.Type;

const decode = Schema.decodeUnknownResult(StepInvocationSchema);

/**
 * Reads a step invocation that crossed a process boundary (as JSON); undefined when it
 * is not one.
 *
 * @example
 * ```ts
 * import { decodeStepInvocation } from "./step_invocation.ts"
 *
 * decodeStepInvocation({ step: "x" }) // undefined
 * ```
 */
export const decodeStepInvocation = (value: unknown): StepInvocation | undefined => {
  const result = decode(value);
  return Result.isSuccess(result) ? result.success : undefined;
};

/** What an executor returns: the run record written and the outputs it names. */
export interface ExecutionResult {
  readonly run: string;
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
