/**
 * Listing runs: every step invocation of every scenario run, newest scenario run
 * first, with filters.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import type { StoreError } from "../../store/errors.ts";
import type { LineageView } from "./lineage_view.ts";
import { type IndexedView, invocationOf, isIndexed, type ScenarioHead } from "./indexed_view.ts";
import { scenarioHistory, scenarioNames } from "./scenarios.ts";
import type { ScenarioInvocation } from "./scenario_entry.ts";
import type { RunSummary } from "../model/lineage_entry.ts";
import { ObjectStore } from "../../store/object_store.ts";

/** Filters of {@linkcode listRuns}; all optional, combined with "and". */
export interface RunFilter {
  /** Only this scenario's history. */
  readonly scenario?: string;
  /** Only this step. */
  readonly step?: string;
  /** Only this iteration. */
  readonly iteration?: number;
  /** Only invocations that ended so. */
  readonly status?: "ok" | "failed";
  /** Only scenario records with this tag. */
  readonly tag?: string;
  /** `key=value` against the scenario's facets. */
  readonly facet?: string;
  /** Only cache hits (true) or only runs that ran (false). */
  readonly hit?: boolean;
  /** At most this many rows (at least one scenario record's worth is read). */
  readonly limit?: number;
}

/** One row: a step invocation in a scenario run. */
export interface RunRow {
  /** The run (a hit: the run it reused); null for an invocation that failed. */
  readonly run: string | null;
  /** The step. */
  readonly step: string;
  /** The iteration (null outside `iterate`). */
  readonly iteration: number | null;
  /** The scenario. */
  readonly scenario: string;
  /** The scenario record listing this invocation. */
  readonly scenarioRecord: string;
  /** Whether the invocation was a cache hit. */
  readonly hit: boolean;
  /** How it ended. */
  readonly status: "ok" | "failed";
  /** How long the invocation took. */
  readonly durationMs: number;
  /** When the run started (a failed one: its scenario record's start). */
  readonly startedAt: string;
  /** Output name → object id. */
  readonly outputs: Readonly<Record<string, string>>;
}

/** Lists step invocations matching `filter`. */
export const listRuns = (
  view: LineageView,
  filter: RunFilter = {},
): Effect.Effect<RunRow[], StoreError, ObjectStore> =>
  Effect.gen(function* () {
    if (isIndexed(view)) return yield* listRunsIndexed(view, filter);
    const names = filter.scenario ? [filter.scenario] : yield* scenarioNames;
    const wanted = scenarioFilter(filter);
    const scenarios = [];
    for (const name of names) scenarios.push(...(yield* scenarioHistory(name)));
    scenarios.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
    const rows: RunRow[] = [];
    for (const s of scenarios) {
      if (!wanted(s)) continue;
      for (const inv of s.invocations) {
        if (filter.step && inv.step !== filter.step) continue;
        if (filter.iteration !== undefined && inv.iteration !== filter.iteration) continue;
        if (filter.status && inv.status !== filter.status) continue;
        if (filter.hit !== undefined && inv.hit !== filter.hit) continue;
        rows.push(rowOf(inv, s, inv.run ? view.runs.get(inv.run) : undefined));
        if (filter.limit !== undefined && rows.length >= filter.limit) return rows;
      }
    }
    return rows;
  });

// The same rows from the query index: the histories' heads from the index, then
// each record's invocations with the filters and the limit in SQL, so the rows
// read are the rows printed.
const listRunsIndexed = (
  view: IndexedView,
  filter: RunFilter,
): Effect.Effect<RunRow[], StoreError, ObjectStore> =>
  Effect.gen(function* () {
    const store = yield* ObjectStore;
    const names = filter.scenario ? [filter.scenario] : yield* scenarioNames;
    const wanted = scenarioFilter(filter);
    const scenarios: ScenarioHead[] = [];
    for (const name of names) {
      scenarios.push(...view.history(yield* store.readRef(`scenarios/${name}`)));
    }
    scenarios.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
    const where = ["rec = (SELECT n FROM scenario_records WHERE id = ?)"];
    const args: (string | number)[] = [];
    if (filter.step) (where.push("step = ?"), args.push(filter.step));
    if (filter.iteration !== undefined) (where.push("iteration = ?"), args.push(filter.iteration));
    if (filter.status) (where.push("status = ?"), args.push(filter.status));
    if (filter.hit !== undefined) (where.push("hit = ?"), args.push(filter.hit ? 1 : 0));
    const statement = view.prepare(
      `SELECT * FROM scenario_invocations WHERE ${where.join(" AND ")} ORDER BY ord LIMIT ?`,
    );
    const rows: RunRow[] = [];
    for (const s of scenarios) {
      if (!wanted(s)) continue;
      // As the walk over the records stops: at the limit, counted after a row (so at least one).
      const left = filter.limit === undefined ? -1 : Math.max(filter.limit - rows.length, 1);
      for (const row of statement.all(s.id, ...args, left) as Record<string, unknown>[]) {
        const inv = invocationOf(row);
        rows.push(rowOf(inv, s, inv.run ? view.summary(inv.run) : undefined));
      }
      if (filter.limit !== undefined && rows.length > 0 && rows.length >= filter.limit) {
        return rows;
      }
    }
    return rows;
  });

// Whether a scenario record passes the filter's tag and facet.
const scenarioFilter = (
  filter: RunFilter,
): (
  s: { readonly tags: readonly string[]; readonly facets: Readonly<Record<string, unknown>> },
) => boolean => {
  const [facetKey, facetValue] = filter.facet ? filter.facet.split("=", 2) : [undefined, undefined];
  const facet = facetKey === undefined ? undefined : JSON.stringify(parseValue(facetValue ?? ""));
  return (s) =>
    (!filter.tag || s.tags.includes(filter.tag)) &&
    (facetKey === undefined || JSON.stringify(s.facets[facetKey]) === facet);
};

// A row of the listing: an invocation of scenario record `s`, with its run's summary.
const rowOf = (
  inv: ScenarioInvocation,
  s: { readonly id: string; readonly name: string; readonly startedAt: string },
  summary: RunSummary | undefined,
): RunRow => ({
  run: inv.run,
  step: inv.step,
  iteration: inv.iteration,
  scenario: s.name,
  scenarioRecord: s.id,
  hit: inv.hit,
  status: inv.status,
  durationMs: inv.durationMs,
  startedAt: summary?.startedAt ?? s.startedAt,
  outputs: Object.fromEntries(Object.entries(summary?.outputs ?? {}).map(([k, v]) => [k, v.id])),
});

// Facet values on the command line: numbers and booleans as such, else strings.
const parseValue = (text: string): unknown => {
  if (text === "true" || text === "false") return text === "true";
  const n = Number(text);
  return text.trim() !== "" && Number.isFinite(n) ? n : text;
};
