/**
 * A scenario record as the queries read it: the record's facts with its id.
 *
 * @module
 */
import type { Invocation, LoopOutcome } from "../model/scenario_record.ts";

/** One invocation as a scenario record lists it. */
export type ScenarioInvocation = Invocation;

/** A scenario record with its id. */
export interface ScenarioEntry {
  /** The record's object id. */
  readonly id: string;
  /** The scenario's name. */
  readonly name: string;
  /** How the scenario run ended (`ok`, `failed`). */
  readonly status: string;
  /** The scenario's config. */
  readonly config: unknown;
  /** Its tags. */
  readonly tags: readonly string[];
  /** Its facets. */
  readonly facets: Readonly<Record<string, unknown>>;
  /** Every step invocation, in order. */
  readonly invocations: readonly ScenarioInvocation[];
  /** How its `iterate` loops ended (empty for a record written before loops were recorded). */
  readonly loops: readonly LoopOutcome[];
  /** The record before it in the history (null for the first). */
  readonly parent: string | null;
  /** When the scenario run started (ISO 8601). */
  readonly startedAt: string;
  /** How long it took. */
  readonly durationMs: number;
}
