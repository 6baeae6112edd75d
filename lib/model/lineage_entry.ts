/**
 * Run summaries: the part of a run record that lineage queries need, kept in the
 * derived lineage index so that walking a 6,000-run chain reads no record.
 *
 * Lineage index (`index/lineage.log`), written with every run and rebuildable from
 * the records (`reindex`):
 *
 * - `run:<run id>` → `<run id> <summary JSON>`
 * - `step:<step name>` → `<run id> <iteration or ->`
 * - `produced:<artifact id>` → `<run id>`
 * - `consumed:<artifact id>` → `<run id>`
 *
 * Every value starts with the run id, so gc drops the entries of a run it removes.
 *
 * @module
 */
import { encodeCanonicalJson, type JsonValue } from "../../store/canonical_json.ts";
import type { ArtifactRef } from "./artifact.ts";
import * as Schema from "effect/Schema";
import { ArtifactRefSchema, InputRefSchema, type RunRecord } from "./run_record.ts";
import type { IndexTarget } from "../../store/fsck.ts";
import { fastGuard } from "./_fast_guard.ts";

/** Name of the derived lineage index. */
export const LINEAGE_INDEX = "lineage";

/** What lineage needs of a run. */
export interface RunSummary {
  /** The step's name. */
  readonly step: string;
  /** The iteration (null outside `iterate`). */
  readonly iteration: number | null;
  /** The scenario the run was made in. */
  readonly scenario: string | null;
  /** When it started (ISO 8601). */
  readonly startedAt: string;
  /** How long it ran. */
  readonly durationMs: number;
  /** Input name → the artifact given and the run that made it (null: an absent optional input). */
  readonly inputs: Readonly<
    Record<string, (ArtifactRef & { readonly producer: string | null }) | null>
  >;
  /** Output name → the artifact made. */
  readonly outputs: Readonly<Record<string, ArtifactRef>>;
  /** The run's cache key (absent from summaries written before it was kept here). */
  readonly key?: string;
  /** The host it ran on (absent as `key` is). */
  readonly host?: string;
}

export const RunSummarySchema = Schema.Struct({
  step: Schema.String,
  iteration: Schema.NullOr(Schema.Number),
  scenario: Schema.NullOr(Schema.String),
  startedAt: Schema.String,
  durationMs: Schema.Number,
  inputs: Schema.Record(Schema.String, Schema.NullOr(InputRefSchema)),
  outputs: Schema.Record(Schema.String, ArtifactRefSchema),
  key: Schema.optionalKey(Schema.String),
  host: Schema.optionalKey(Schema.String),
});
// One per run whenever a query loads the index: the guard compiled from the Schema.
const isRunSummary = fastGuard(RunSummarySchema);

/** The index entries of one run. */
export const lineageEntries = (run: string, summary: RunSummary): [string, string][] => [
  // Canonical JSON: the same run always gives the same entry (reindex relies on it).
  [`run:${run}`, `${run} ${encodeCanonicalJson(summary as unknown as JsonValue)}`],
  [`step:${summary.step}`, `${run} ${summary.iteration ?? "-"}`],
  ...Object.values(summary.outputs).map((o) => [`produced:${o.id}`, run] as [string, string]),
  ...[...new Set(Object.values(summary.inputs).flatMap((i) => (i ? [i.id] : [])))].map(
    (id) => [`consumed:${id}`, run] as [string, string],
  ),
];

/** Parses a `run:` entry's value; undefined for anything that is not one. */
export const decodeRunSummary = (
  value: string,
): { run: string; summary: RunSummary } | undefined => {
  const space = value.indexOf(" ");
  if (space !== 64) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(value.slice(65));
  } catch {
    return undefined;
  }
  return isRunSummary(raw) ? { run: value.slice(0, 64), summary: raw } : undefined;
};

/** The summary of a run record (written with the record, and again by a rebuild of the index). */
export const summaryOfRecord = (
  record: Pick<
    RunRecord,
    | "step"
    | "iteration"
    | "scenario"
    | "startedAt"
    | "durationMs"
    | "inputs"
    | "outputs"
    | "key"
    | "host"
  >,
): RunSummary => ({
  step: record.step,
  iteration: record.iteration,
  scenario: record.scenario,
  startedAt: record.startedAt,
  durationMs: record.durationMs,
  inputs: record.inputs,
  outputs: record.outputs,
  key: record.key,
  host: record.host,
});

/**
 * What the derived indexes' values name, for fsck: every cache and lineage value
 * starts with the id of a run record.
 */
export const INDEX_TARGETS: Readonly<Record<string, IndexTarget>> = {
  cache: { kind: "record", type: "run" },
  [LINEAGE_INDEX]: { kind: "record", type: "run" },
};
