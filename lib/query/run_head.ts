/**
 * What a walk needs of a run — an impact walk its place and outputs, a lineage walk
 * also its timing and inputs — read by the query index from columns and rows once a
 * walk is large, without parsing the runs' summaries.
 *
 * @module
 */
import type { ArtifactRef } from "../model/artifact.ts";
import type { RunSummary } from "../model/lineage_entry.ts";

/** A run's step, iteration, scenario and outputs. */
export interface RunHead {
  /** The step's name. */
  readonly step: string;
  /** The iteration (null outside `iterate`). */
  readonly iteration: number | null;
  /** The scenario the run was made in. */
  readonly scenario: string | null;
  /** Its outputs' artifact ids, in the order of its summary's outputs. */
  readonly outputs: readonly string[];
}

/** What a lineage walk needs of a run: its head, timing, and inputs' and outputs' ids. */
export interface RunNode {
  /** The step's name. */
  readonly step: string;
  /** The iteration (null outside `iterate`). */
  readonly iteration: number | null;
  /** The scenario the run was made in. */
  readonly scenario: string | null;
  /** How long it ran. */
  readonly durationMs: number;
  /** When it started (ISO 8601). */
  readonly startedAt: string;
  /** Input name → artifact id (null: an absent optional input). */
  readonly inputs: Readonly<Record<string, string | null>>;
  /** Output name → artifact id. */
  readonly outputs: Readonly<Record<string, string>>;
  /** Output name → what the run made there. */
  readonly made: Readonly<Record<string, ArtifactRef>>;
}

/** A run's node, from its summary (the log view's way, and the index's for a small walk). */
export const nodeOfSummary = (s: RunSummary): RunNode => {
  // Loops, not entries and fromEntries: a full lineage makes this for every run.
  const inputs: Record<string, string | null> = {};
  for (const name in s.inputs) inputs[name] = s.inputs[name]?.id ?? null;
  const outputs: Record<string, string> = {};
  for (const name in s.outputs) outputs[name] = s.outputs[name]!.id;
  return {
    step: s.step,
    iteration: s.iteration,
    scenario: s.scenario,
    durationMs: s.durationMs,
    startedAt: s.startedAt,
    inputs,
    outputs,
    made: s.outputs,
  };
};
