/**
 * A scenario record as the queries read it: the record's facts with its id.
 *
 * @module
 */
import type { Invocation } from "../model/scenario_record.ts";

/** One invocation as a scenario record lists it. */
export type ScenarioInvocation = Invocation;

/** A scenario record with its id. */
export interface ScenarioEntry {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly config: unknown;
  readonly tags: readonly string[];
  readonly facets: Readonly<Record<string, unknown>>;
  readonly invocations: readonly ScenarioInvocation[];
  readonly parent: string | null;
  readonly startedAt: string;
  readonly durationMs: number;
}
