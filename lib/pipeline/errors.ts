/**
 * The pipeline layer's typed errors. Like the store, each failure is one error
 * class with a `reason` for the detail, and messages read problem / cause / fix.
 *
 * @module
 */
import * as Data from "effect/Data";
import type { StoreError } from "../../store/errors.ts";
import { ConfigNotCanonical } from "../model/canonical_config.ts";

export { ConfigNotCanonical };

/** A step's declaration is unusable (bad name, unknown codec, missing input, ...). */
export class InvalidStep extends Data.TaggedError("InvalidStep")<{
  readonly step: string;
  readonly detail: string;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    return `Cannot use step "${this.step}": ${this.detail}`;
  }
}

/** A step's `run` failed or returned something other than its declared outputs. */
export class StepFailed extends Data.TaggedError("StepFailed")<{
  readonly step: string;
  readonly iteration: number | null;
  readonly cause: unknown;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    const at = this.iteration === null ? "" : ` in iteration ${this.iteration}`;
    const cause = this.cause instanceof Error ? this.cause.message : String(this.cause);
    return `Step "${this.step}" failed${at}: ${cause}; fix the step and run again — steps that completed are cached`;
  }
}

/** A value could not be encoded to, or decoded from, its artifact's codec. */
export class CodecFailed extends Data.TaggedError("CodecFailed")<{
  readonly codec: string;
  readonly artifact: string;
  readonly detail: string;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    return `Cannot ${
      this.detail.startsWith("decode") ? "" : "encode "
    }${this.artifact} with codec "${this.codec}": ${this.detail}`;
  }
}

/** An external input file or directory is missing or unreadable. */
export class InputMissing extends Data.TaggedError("InputMissing")<{
  readonly path: string;
  readonly detail: string;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    return `Cannot read input "${this.path}": ${this.detail}; check the path (relative paths are resolved from the working directory)`;
  }
}

/** Computing a step's code identity failed. */
export class CodeIdentityFailed extends Data.TaggedError("CodeIdentityFailed")<{
  readonly step: string;
  readonly detail: string;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    return `Cannot compute the code identity of step "${this.step}": ${this.detail}; give the step an explicit version: "…" or code: "module"`;
  }
}

/** A step's input object turned out damaged or missing when the step read it. */
export class InputDamaged extends Data.TaggedError("InputDamaged")<{
  readonly step: string;
  readonly iteration: number | null;
  readonly input: string;
  readonly artifact: string;
  /** The run that produced the input (its cache entry is dropped), or null for an external file. */
  readonly producer: string | null;
  readonly detail: string;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    const at = this.iteration === null ? "" : ` in iteration ${this.iteration}`;
    const again = this.producer
      ? `the cache entry of run ${
        this.producer.slice(0, 12)
      }, which made it, was dropped, so running the pipeline again re-creates it`
      : "running the pipeline again stores the input file afresh";
    return `Cannot read input "${this.input}" of step "${this.step}"${at}: object ${
      this.artifact.slice(0, 12)
    } or an object inside it is damaged or missing (${this.detail}); ${again}`;
  }
}

/** A step modified an input it was given as a hard link into the store. */
export class InputModified extends Data.TaggedError("InputModified")<{
  readonly step: string;
  readonly iteration: number | null;
  readonly input: string;
  readonly path: string;
  /** True when the object's bytes were damaged (it was set aside). */
  readonly damaged: boolean;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    const at = this.iteration === null ? "" : ` in iteration ${this.iteration}`;
    const state = this.damaged
      ? "its bytes were damaged, so it was set aside, and running again re-creates it"
      : "its bytes are intact";
    return `Step "${this.step}" changed its input "${this.input}"${at}: "${this.path}" is a hard link to the store's object (link: "hardlink"), and the step wrote to it or changed its mode (${state}); a step must not modify its inputs: fix the step, or run with link: "copy" (the default) to give it copies`;
  }
}

/** How a command's program ended when it failed. */
export type CommandEnd =
  | { readonly code: number }
  | { readonly signal: string }
  | { readonly timeoutMs: number };

/** The ids of a command's captured standard streams. */
export interface CommandLogs {
  /** The blob of its stdout. */
  readonly stdout: string;
  /** The blob of its stderr. */
  readonly stderr: string;
}

/** A command's program exited non-zero, was killed by a signal, or ran past its timeout. */
export class CommandFailed extends Data.TaggedError("CommandFailed")<{
  readonly step: string;
  readonly iteration: number | null;
  readonly end: CommandEnd;
  /** The last lines of its stderr (at most 20). */
  readonly stderrTail: readonly string[];
  readonly stderrLines: number;
  /** Its captured streams, kept in the store (null when they could not be stored). */
  readonly logs: CommandLogs | null;
  /** How to see the whole log (`cairn logs baseline congestion@3`). */
  readonly seeLogs: string;
  /**
   * Paths it could not open that exist outside the view it ran in: undeclared files,
   * named so they can be declared (`sources`) or passed as inputs.
   */
  readonly undeclared: readonly string[];
  /** Where it ran: `plain`, `sandbox` or `container`. */
  readonly runner: string;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    const at = this.iteration === null ? "" : ` in iteration ${this.iteration}`;
    const end = "code" in this.end
      ? `exited with code ${this.end.code}`
      : "signal" in this.end
      ? `was killed by ${this.end.signal}`
      : `ran longer than its timeout (${formatMs(this.end.timeoutMs)}) and was stopped`;
    const undeclared = this.undeclared.length === 0
      ? ""
      : `; it could not open ${this.undeclared.map((p) => `"${p}"`).join(", ")}, which ${
        this.undeclared.length === 1 ? "exists" : "exist"
      } but ${
        this.runner === "plain"
          ? "is not in its work directory (only declared sources, inputs and outputs are)"
          : `is not visible in the ${this.runner} (only system directories, declared sources and tools, inputs and outputs are)`
      }: add ${this.undeclared.length === 1 ? "it" : "them"} to \`sources\`, or pass ${
        this.undeclared.length === 1 ? "it" : "them"
      } as an input`;
    const shown = this.stderrTail.length;
    const tail = shown === 0
      ? "\n(its stderr is empty)"
      : `\n${
        shown === this.stderrLines
          ? shown === 1 ? "its stderr" : `its stderr (${shown} lines)`
          : `the last ${shown} of its ${this.stderrLines} lines of stderr`
      }:\n${this.stderrTail.map((l) => `  ${l}`).join("\n")}`;
    const rest = this.logs ? `\nwhole log: ${this.seeLogs}` : "";
    return `Command "${this.step}" failed${at}: it ${end}${undeclared}; nothing was cached — fix it and run again (steps that completed are cached)${tail}${rest}`;
  }
}

/** A command's program exited 0 without creating a declared output. */
export class CommandOutputMissing extends Data.TaggedError("CommandOutputMissing")<{
  readonly step: string;
  readonly iteration: number | null;
  readonly output: string;
  /** Where the output was expected, relative to the program's work directory. */
  readonly path: string;
  readonly expected: "a file" | "a directory";
  /** What is there instead, if anything (`a directory`). */
  readonly found: string | null;
  readonly seeLogs: string;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    const at = this.iteration === null ? "" : ` in iteration ${this.iteration}`;
    const found = this.found === null ? "nothing is there" : `${this.found} is there instead`;
    return `Command "${this.step}" did not create its output "${this.output}"${at}: it exited 0, but ${this.expected} was expected at "${this.path}" (relative to its work directory) and ${found}; write the output to the path argv gives it (outputs.${this.output}); nothing was cached; its log: ${this.seeLogs}`;
  }
}

/** A runner a command asked for (the sandbox, a container runtime) cannot start here. */
export class RunnerUnavailable extends Data.TaggedError("RunnerUnavailable")<{
  readonly step: string;
  readonly runner: string;
  readonly detail: string;
  readonly fix: string;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    return `Cannot run command "${this.step}" in the ${this.runner}: ${this.detail}; ${this.fix}`;
  }
}

const formatMs = (ms: number): string =>
  ms >= 3_600_000 && ms % 3_600_000 === 0
    ? `${ms / 3_600_000} h`
    : ms >= 60_000 && ms % 60_000 === 0
    ? `${ms / 60_000} min`
    : ms >= 1000
    ? `${ms / 1000} s`
    : `${ms} ms`;

/** A scenario ran but its record could not be written (a full disk, a read-only store). */
export class ScenarioNotRecorded extends Data.TaggedError("ScenarioNotRecorded")<{
  readonly scenario: string;
  readonly cause: StoreError;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    return `Cannot record scenario "${this.scenario}": ${this.cause.message}; the steps that completed are cached, but this execution is not in the scenario's history; free space (or make the store writable) and run again`;
  }
}

/** An external input changed while cairn read it. */
export class InputChanged extends Data.TaggedError("InputChanged")<{
  readonly path: string;
  readonly detail: string;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    return `Cannot read input "${this.path}": it changed while it was read (${this.detail}); let whatever writes it finish, then run again`;
  }
}

/** Every reason a pipeline operation can fail. */
export type PipelineErrorReason =
  | ConfigNotCanonical
  | InvalidStep
  | StepFailed
  | CodecFailed
  | InputMissing
  | CodeIdentityFailed
  | InputDamaged
  | InputModified
  | ScenarioNotRecorded
  | InputChanged
  | CommandFailed
  | CommandOutputMissing
  | RunnerUnavailable
  | StoreError;

/** The one error type of the pipeline layer; `reason` carries the detail. */
export class PipelineError extends Data.TaggedError("PipelineError")<{
  readonly reason: PipelineErrorReason;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    return this.reason.message;
  }
}

/** Wraps a reason into a {@linkcode PipelineError}. *
 * @example Failing a program with a reason
 * ```ts
 * import assert from "node:assert/strict"
 * import { Effect } from "effect"
 * import { InvalidStep, pipelineError } from "cairn"
 *
 * const error = await Effect.runPromise(
 *   Effect.flip(Effect.fail(pipelineError(new InvalidStep({ step: "s", detail: "it is wrong" })))),
 * )
 * assert.equal(error.reason._tag, "InvalidStep")
 * assert.equal(error.message, 'Cannot use step "s": it is wrong')
 * ```
 */
export const pipelineError = (reason: PipelineErrorReason): PipelineError =>
  new PipelineError({ reason });
