/**
 * The scenario record: one execution of a scenario — every step invocation in order,
 * the config, tags, facets and status — pointing at the previous record of the same
 * name (`parent`), like a commit. `refs/scenarios/<name>` names the newest.
 *
 * ```
 * { type: "scenario", name, status, config, tags, facets, invocations: [{ step,
 *   iteration, run, hit, durationMs, status, error?, logs? }], parent, startedAt,
 *   endedAt, durationMs, host, links }
 * ```
 *
 * @module
 */
import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import type { StoreRecord } from "../../store/record.ts";
import { fastGuard } from "./_fast_guard.ts";

/** One step invocation, as the scenario record lists it. */
const InvocationSchema = Schema.Struct({
  step: Schema.String,
  iteration: Schema.NullOr(Schema.Number),
  /** The run record (a hit's is the run it reused); null when the invocation failed. */
  run: Schema.NullOr(Schema.String),
  hit: Schema.Boolean,
  durationMs: Schema.Number,
  status: Schema.Literals(["ok", "failed"]),
  error: Schema.optionalKey(Schema.String),
  /** A failed command's captured stdout and stderr (blob ids; the record links them). */
  logs: Schema.optionalKey(Schema.Struct({ stdout: Schema.String, stderr: Schema.String })),
});

/** One step invocation, as the scenario record lists it. */
export interface Invocation {
  /** The step's name. */
  readonly step: string;
  /** Its iteration (null outside `iterate` or for an iteration-invariant step). */
  readonly iteration: number | null;
  /** The run record (a hit's is the run it reused); null when the invocation failed. */
  readonly run: string | null;
  /** Whether it was a cache hit. */
  readonly hit: boolean;
  /** How long it took, in milliseconds. */
  readonly durationMs: number;
  /** Whether it succeeded. */
  readonly status: "ok" | "failed";
  /** Why it failed, when it did. */
  readonly error?: string;
  /** A failed command's captured stdout and stderr (blob ids; the record links them). */
  readonly logs?: { readonly stdout: string; readonly stderr: string };
}

// The schema's type is the interface's: a mismatch fails to compile.
const _invocationMatches: typeof InvocationSchema.Type extends Invocation
  ? Invocation extends typeof InvocationSchema.Type ? true : never
  : never = true;
void _invocationMatches;

/** A scenario record, decoded. */
export const ScenarioRecordSchema = Schema.Struct({
  type: Schema.Literal("scenario"),
  name: Schema.String,
  status: Schema.String,
  config: Schema.Unknown,
  tags: Schema.Array(Schema.String),
  facets: Schema.Record(Schema.String, Schema.Unknown),
  invocations: Schema.Array(InvocationSchema),
  parent: Schema.NullOr(Schema.String),
  startedAt: Schema.String,
  endedAt: Schema.String,
  durationMs: Schema.Number,
  host: Schema.String,
  links: Schema.Array(Schema.String),
});

/** A scenario record, decoded. */
export type ScenarioRecord = typeof ScenarioRecordSchema.Type;

const decode = Schema.decodeUnknownResult(ScenarioRecordSchema);
// Queries read every scenario record of a name: the guard compiled from the Schema.
const isScenarioRecord = fastGuard(ScenarioRecordSchema);

/**
 * Reads a store record as a scenario record; undefined when it is not one.
 *
 * @example
 * ```ts
 * import { decodeScenarioRecord } from "./scenario_record.ts"
 *
 * decodeScenarioRecord({ type: "note" }) // undefined
 * ```
 */
export const decodeScenarioRecord = (record: unknown): ScenarioRecord | undefined =>
  isScenarioRecord(record) ? record : undefined;

/** Why a store record is not a scenario record, or undefined when it is one. */
export const scenarioRecordProblem = (record: unknown): string | undefined => {
  const result = decode(record);
  return Result.isFailure(result) ? result.failure.message : undefined;
};

/** A scenario record as the store keeps it. */
export const encodeScenarioRecord = (scenario: ScenarioRecord): StoreRecord =>
  scenario as unknown as StoreRecord;
