/**
 * Why a run missed the cache: the key components that differ from the nearest
 * earlier run of the same step — code units changed, config keys changed (old →
 * new), inputs changed (with the runs that produced them), env.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { ObjectStore } from "../../store/object_store.ts";
import type { StoreError } from "../../store/errors.ts";
import { diffComponents, type KeyChange } from "../model/cache_key.ts";
import { decodeRunRecord, runRecordProblem } from "../model/run_record.ts";
import type { LineageView } from "./lineage_view.ts";
import { QueryError } from "./query_error.ts";
import { resolveTarget } from "./resolve_target.ts";
import { idKey } from "../model/query_index_schema.ts";
import { historyOf } from "./scenarios.ts";
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
  /** The nearest earlier run of the same step, or null for the first run. */
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

const parseStepAt = (text: string): { step: string; iteration: number | null } => {
  const at = text.lastIndexOf("@");
  if (at < 0) return { step: text, iteration: null };
  const iteration = Number(text.slice(at + 1));
  return { step: text.slice(0, at), iteration: Number.isInteger(iteration) ? iteration : null };
};

// The nearest earlier run of the step: the newest of its iteration, else the newest.
const previousOf = (
  view: LineageView,
  run: string,
  step: string,
  iteration: number | null,
  startedAt: string,
): string | null => {
  const earlier = (view.stepRuns.get(step) ?? []).filter((r) =>
    r.run !== run && (view.runs.get(r.run)?.startedAt ?? "") <= startedAt
  );
  const sameIteration = earlier.filter((r) => r.iteration === iteration);
  return (sameIteration.length ? sameIteration : earlier).at(-1)?.run ?? null;
};

// The same two lookups as indexed queries (newest first, one row each).
const previousIndexed = (
  view: IndexedView,
  run: string,
  step: string,
  iteration: number | null,
  startedAt: string,
): string | null => {
  const base = `SELECT s.run FROM step_runs s
    LEFT JOIN run_summaries r ON ${idKey("r.id")} = ${idKey("s.run")} AND r.id = s.run
    WHERE s.step = ? AND s.run != ? AND coalesce(r.started_at, '') <= ?`;
  const same = view.prepare(`${base} AND s.iteration IS ? ORDER BY s.seq DESC LIMIT 1`)
    .get(step, run, startedAt, iteration) as { run: string } | undefined;
  if (same) return same.run;
  const any = view.prepare(`${base} ORDER BY s.seq DESC LIMIT 1`).get(step, run, startedAt) as
    | { run: string }
    | undefined;
  return any?.run ?? null;
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
      const { step, iteration } = parseStepAt(stepAt);
      const [newest] = yield* historyOf(view, target, 1);
      if (!newest) {
        return yield* Effect.fail(
          new QueryError({
            detail: `Cannot find scenario "${target}"; list them with "cairn scenarios"`,
          }),
        );
      }
      const inv = [...newest.invocations].reverse().find((i) =>
        i.step === step && i.iteration === iteration && i.run
      );
      if (!inv?.run) {
        return yield* Effect.fail(
          new QueryError({
            detail:
              `Cannot find ${stepAt} in the newest run of scenario "${target}"; give step@iteration as "cairn runs --scenario ${target}" lists them`,
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
    const step = record.step;
    const iteration = record.iteration;
    const startedAt = record.startedAt;
    const previous = isIndexed(view)
      ? previousIndexed(view, run, step, iteration, startedAt)
      : previousOf(view, run, step, iteration, startedAt);
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
