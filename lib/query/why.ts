/**
 * Why a run missed the cache: the key components that differ from the nearest
 * earlier run of the same step at the same iteration (of the same scenario when
 * it has one) — code units changed, config keys changed (old → new), inputs
 * changed (with the runs that produced them), env.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { ObjectStore } from "../../store/object_store.ts";
import type { StoreError } from "../../store/errors.ts";
import { diffComponents, type KeyChange } from "../model/cache_key.ts";
import { decodeRunRecord, type RunRecord, runRecordProblem } from "../model/run_record.ts";
import type { LineageView } from "./lineage_view.ts";
import { QueryError } from "./query_error.ts";
import { findInvocation } from "./find_invocation.ts";
import { resolveTarget } from "./resolve_target.ts";
import { edgeRows, idKey } from "../model/query_index_schema.ts";
import { type IndexedView, isIndexed } from "./indexed_view.ts";

/** An input whose content differs, with the runs that produced each version. */
export interface InputChange {
  /** The input's name. */
  readonly name: string;
  /** What the earlier run was given, and which run made it. */
  readonly before: { readonly id: string | null; readonly producer: string | null };
  /** What this run was given, and which run made it. */
  readonly after: { readonly id: string | null; readonly producer: string | null };
}

/** The answer to `why`. */
export interface Why {
  /** The run explained. */
  readonly run: string;
  /** Its step. */
  readonly step: string;
  /** Its iteration (null outside `iterate`). */
  readonly iteration: number | null;
  /** Set when the invocation asked about was a hit: it reused this run. */
  readonly hitOf: string | null;
  /**
   * The nearest earlier run of the same step at the same iteration — the
   * scenario's own if it has one, else another scenario's — or null for the first.
   */
  readonly previous: string | null;
  /** The parts of the cache key that differ from the earlier run's. */
  readonly changes: readonly KeyChange[];
  /** The inputs whose content differs. */
  readonly inputs: readonly InputChange[];
}

// Run record `id`, decoded; a record of another kind is a question that cannot be answered.
const runRecord = (id: string) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore;
    const record = yield* store.readRecord(id);
    const run = decodeRunRecord(record);
    if (run) return run;
    return yield* Effect.fail(
      new QueryError({
        detail: `Cannot explain ${id}: it is not a run record (${
          runRecordProblem(record) ?? "wrong shape"
        })`,
      }),
    );
  });

const startOf = (view: LineageView, run: string): string => view.runs.get(run)?.startedAt ?? "";

/**
 * The run to compare `run` with: the nearest earlier run of the same step at the
 * same iteration — of the same scenario if it has one, else of any. Never a run of
 * another iteration (iteration 12 reads other inputs than iteration 11 by design),
 * and not another scenario's run when the scenario has its own: changes between
 * scenarios (a sweep's parameter) are not why a scenario ran its step again.
 */
const previousRun = (
  view: LineageView,
  run: string,
  record: RunRecord,
): string | null => {
  const earlier = (view.stepRuns.get(record.step) ?? [])
    .filter((r) => r.run !== run && r.iteration === record.iteration)
    .map((r) => ({ run: r.run, at: startOf(view, r.run) }))
    .filter((r) => r.at <= record.startedAt)
    // Index order is the order runs ended in; "nearest" is by start time.
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const own = earlier.filter((r) => view.runs.get(r.run)?.scenario === record.scenario);
  return (own.length > 0 ? own : earlier).at(-1)?.run ?? null;
};

// previousRun as one indexed query: the same step at the same iteration, started no
// later, the scenario's own first, the nearest by start time. A run the step's entries
// name without a summary (hidden by a damaged entry) is of no scenario, as in the log
// view — not of the null scenario.
const previousIndexed = (
  view: IndexedView,
  run: string,
  record: RunRecord,
): string | null => {
  const row = view.prepare(
    `SELECT s.run FROM ${edgeRows("step_runs", "step, run, iteration, seq")} s
      LEFT JOIN run_summaries r ON ${idKey("r.id")} = ${idKey("s.run")} AND r.id = s.run
      WHERE s.step = ? AND s.run != ? AND s.iteration IS ? AND coalesce(r.started_at, '') <= ?
      ORDER BY (r.seq IS NOT NULL AND r.scenario IS ?) DESC, r.started_at DESC, s.seq DESC
      LIMIT 1`,
  ).get(record.step, run, record.iteration, record.startedAt, record.scenario) as
    | { run: string }
    | undefined;
  return row?.run ?? null;
};

/**
 * Explains a run: `target` is a run id (or prefix), or `scenario` plus `step@iteration`.
 */
export const why = (
  view: LineageView,
  target: string,
  stepAt?: string,
): Effect.Effect<Why, QueryError | StoreError, ObjectStore> =>
  Effect.gen(function* () {
    let run: string;
    let hitOf: string | null = null;
    if (stepAt !== undefined) {
      const inv = yield* findInvocation(view, target, stepAt);
      if (!inv.run) {
        return yield* Effect.fail(
          new QueryError({
            detail:
              `Cannot explain "${stepAt}" in scenario "${target}": it failed and left no run to compare (${
                inv.error ?? "no error recorded"
              }); see "cairn show ${target}"`,
          }),
        );
      }
      run = inv.run;
      if (inv.hit) hitOf = inv.run;
    } else {
      const resolved = yield* resolveTarget(target, view);
      if (resolved.kind !== "run") {
        return yield* Effect.fail(
          new QueryError({
            detail:
              `Cannot explain "${target}": it is a ${resolved.kind}, not a run; give a run id or "<scenario> <step>@<iteration>"`,
          }),
        );
      }
      run = resolved.id;
    }
    const record = yield* runRecord(run);
    const { step, iteration } = record;
    const previous = isIndexed(view)
      ? previousIndexed(view, run, record)
      : previousRun(view, run, record);
    if (!previous) return { run, step, iteration, hitOf, previous: null, changes: [], inputs: [] };
    const before = yield* runRecord(previous);
    const changes = diffComponents(before.components, record.components);
    const inputsBefore = before.inputs;
    const inputsAfter = record.inputs;
    const inputs: InputChange[] = [];
    for (
      const name of [...new Set([...Object.keys(inputsBefore), ...Object.keys(inputsAfter)])].sort()
    ) {
      const a = inputsBefore[name] ?? null;
      const b = inputsAfter[name] ?? null;
      if ((a?.id ?? null) === (b?.id ?? null)) continue;
      inputs.push({
        name,
        before: { id: a?.id ?? null, producer: a?.producer ?? null },
        after: { id: b?.id ?? null, producer: b?.producer ?? null },
      });
    }
    return { run, step, iteration, hitOf, previous, changes, inputs };
  });
