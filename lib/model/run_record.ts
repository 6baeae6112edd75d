/**
 * The run record: what one step run computed, from what, and how — a store record of
 * type `"run"`, written once by the miss path and read by the hit path, lineage,
 * `why`, `show`, `reindex` and `fsck --repair`.
 *
 * ```
 * { type: "run", step, key, components, inputs, outputs, iteration, scenario,
 *   startedAt, endedAt, durationMs, host, status: "ok", uncached?, command?, logs?,
 *   links }
 * ```
 *
 * `components` are the cache key's parts with the code identity's units (so `why`
 * can name what changed); `inputs` map each declared input to the artifact it was
 * given (with its producer) or null; `outputs` each output to its artifact;
 * `uncached` says why no cache entry names the run (a source changed while it ran);
 * a `command`'s run says where and how its program ran (`command`) and names its
 * captured stdout and stderr (`logs`); `links` lists every object the record depends
 * on, for gc (a command's logs and the sources it ran among them).
 *
 * @module
 */
import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import type { StoreRecord } from "../../store/record.ts";
import { fastGuard } from "./_fast_guard.ts";

const Ref = {
  id: Schema.String,
  kind: Schema.Literals(["blob", "tree"]),
  codec: Schema.String,
  size: Schema.Number,
};

/** An artifact a run read or wrote, as its record names it. */
export const ArtifactRefSchema = Schema.Struct(Ref);

/** An input as a run record names it: the artifact and the run that made it. */
export const InputRefSchema = Schema.Struct({ ...Ref, producer: Schema.NullOr(Schema.String) });

/** The cache key's parts as a run record keeps them (the code with its units). */
export const RecordedComponentsSchema = Schema.StructWithRest(
  Schema.Struct({
    format: Schema.String,
    step: Schema.String,
    signature: Schema.Unknown,
    code: Schema.Struct({
      mode: Schema.String,
      identity: Schema.String,
      units: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
    }),
    config: Schema.Unknown,
    inputs: Schema.Record(Schema.String, Schema.NullOr(Schema.String)),
    iteration: Schema.NullOr(Schema.Number),
    env: Schema.Record(Schema.String, Schema.NullOr(Schema.String)),
  }),
  // Parts only some steps have (a command step's sources and tools) are kept as they are.
  [Schema.Record(Schema.String, Schema.Unknown)],
);

/** How a command's program ran. */
export const CommandRunSchema = Schema.Struct({
  /** `plain` (on the host), `sandbox` (bubblewrap) or `container`. */
  runner: Schema.Literals(["plain", "sandbox", "container"]),
  /** The container runtime and the image as named (its ID is in the components). */
  runtime: Schema.optionalKey(Schema.String),
  image: Schema.optionalKey(Schema.String),
  exit: Schema.Number,
  /** The program's own run time. */
  programMs: Schema.Number,
  /** Each declared tool → the executable file hashed. */
  tools: Schema.Record(Schema.String, Schema.String),
  /** Files the program left in its work directory beyond its declared outputs. */
  leftovers: Schema.Array(Schema.String),
});

/** A command's captured standard streams (blob ids). */
export const CommandLogsSchema = Schema.Struct({ stdout: Schema.String, stderr: Schema.String });

/** A run record, decoded. */
export const RunRecordSchema = Schema.Struct({
  type: Schema.Literal("run"),
  step: Schema.String,
  key: Schema.String,
  components: RecordedComponentsSchema,
  inputs: Schema.Record(Schema.String, Schema.NullOr(InputRefSchema)),
  outputs: Schema.Record(Schema.String, ArtifactRefSchema),
  iteration: Schema.NullOr(Schema.Number),
  scenario: Schema.NullOr(Schema.String),
  startedAt: Schema.String,
  endedAt: Schema.String,
  durationMs: Schema.Number,
  host: Schema.String,
  status: Schema.Literal("ok"),
  uncached: Schema.optionalKey(Schema.String),
  command: Schema.optionalKey(CommandRunSchema),
  logs: Schema.optionalKey(CommandLogsSchema),
  links: Schema.Array(Schema.String),
});

/** A run record, decoded. */
export type RunRecord = typeof RunRecordSchema.Type;

const decode = Schema.decodeUnknownResult(RunRecordSchema);
// Read on every cache hit: the guard compiled from the Schema, which accepts the same.
const isRunRecord = fastGuard(RunRecordSchema);

/**
 * Reads a store record as a run record; undefined when it is not one (another type,
 * or a run record missing a field).
 *
 * @example
 * ```ts
 * import { decodeRunRecord, encodeRunRecord } from "./run_record.ts"
 *
 * const record = encodeRunRecord({
 *   type: "run", step: "logsums", key: "k", iteration: 0, scenario: null,
 *   components: { format: "f", step: "logsums", signature: {}, code: { mode: "version", identity: "i" },
 *     config: null, inputs: {}, iteration: 0, env: {} },
 *   inputs: {}, outputs: {}, startedAt: "", endedAt: "", durationMs: 1, host: "h", status: "ok", links: [],
 * })
 * decodeRunRecord(record)?.step // "logsums"
 * ```
 */
export const decodeRunRecord = (record: unknown): RunRecord | undefined =>
  isRunRecord(record) ? record : undefined;

/** Why a store record is not a run record (for messages), or undefined when it is one. */
export const runRecordProblem = (record: unknown): string | undefined => {
  const result = decode(record);
  return Result.isFailure(result) ? result.failure.message : undefined;
};

/** A run record as the store keeps it (the components are the key's parts, any shape). */
export const encodeRunRecord = (
  run: Omit<RunRecord, "components"> & { readonly components: object },
): StoreRecord => run as unknown as StoreRecord;
