/**
 * Listing runs: every step invocation of every scenario run, newest scenario run
 * first, with filters.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import type { ObjectStore } from "../../store/object_store.ts";
import type { StoreError } from "../../store/errors.ts";
import type { LineageView } from "./lineage_view.ts";
import { scenarioHistory, scenarioNames } from "./scenarios.ts";

/** Filters of {@linkcode listRuns}; all optional, combined with "and". */
export interface RunFilter {
  readonly scenario?: string;
  readonly step?: string;
  readonly iteration?: number;
  readonly status?: "ok" | "failed";
  readonly tag?: string;
  /** `key=value` against the scenario's facets. */
  readonly facet?: string;
  readonly hit?: boolean;
  readonly limit?: number;
}

/** One row: a step invocation in a scenario run. */
export interface RunRow {
  readonly run: string | null;
  readonly step: string;
  readonly iteration: number | null;
  readonly scenario: string;
  /** The scenario record listing this invocation. */
  readonly scenarioRecord: string;
  readonly hit: boolean;
  readonly status: "ok" | "failed";
  readonly durationMs: number;
  readonly startedAt: string;
  readonly outputs: Readonly<Record<string, string>>;
}

/** Lists step invocations matching `filter`. */
export const listRuns = (
  view: LineageView,
  filter: RunFilter = {},
): Effect.Effect<RunRow[], StoreError, ObjectStore> =>
  Effect.gen(function* () {
    const names = filter.scenario ? [filter.scenario] : yield* scenarioNames;
    const [facetKey, facetValue] = filter.facet
      ? filter.facet.split("=", 2)
      : [undefined, undefined];
    const scenarios = [];
    for (const name of names) scenarios.push(...(yield* scenarioHistory(name)));
    scenarios.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
    const rows: RunRow[] = [];
    for (const s of scenarios) {
      if (filter.tag && !s.tags.includes(filter.tag)) continue;
      if (
        facetKey !== undefined &&
        JSON.stringify(s.facets[facetKey]) !== JSON.stringify(parseValue(facetValue ?? ""))
      ) {
        continue;
      }
      for (const inv of s.invocations) {
        if (filter.step && inv.step !== filter.step) continue;
        if (filter.iteration !== undefined && inv.iteration !== filter.iteration) continue;
        if (filter.status && inv.status !== filter.status) continue;
        if (filter.hit !== undefined && inv.hit !== filter.hit) continue;
        const summary = inv.run ? view.runs.get(inv.run) : undefined;
        rows.push({
          run: inv.run,
          step: inv.step,
          iteration: inv.iteration,
          scenario: s.name,
          scenarioRecord: s.id,
          hit: inv.hit,
          status: inv.status,
          durationMs: inv.durationMs,
          startedAt: summary?.startedAt ?? s.startedAt,
          outputs: Object.fromEntries(
            Object.entries(summary?.outputs ?? {}).map(([k, v]) => [k, v.id]),
          ),
        });
        if (filter.limit !== undefined && rows.length >= filter.limit) return rows;
      }
    }
    return rows;
  });

// Facet values on the command line: numbers and booleans as such, else strings.
const parseValue = (text: string): unknown => {
  if (text === "true" || text === "false") return text === "true";
  const n = Number(text);
  return text.trim() !== "" && Number.isFinite(n) ? n : text;
};
