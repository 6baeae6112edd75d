/**
 * Scenario histories: `refs/scenarios/<name>` names the newest record, each record
 * names its parent — a history like commits.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { ObjectStore } from "../../store/object_store.ts";
import type { StoreError } from "../../store/errors.ts";
import { InvalidObject, storeError } from "../../store/errors.ts";
import type { StoreRecord } from "../../store/record.ts";
import { decodeScenarioRecord, scenarioRecordProblem } from "../model/scenario_record.ts";
import { isIndexed } from "./indexed_view.ts";
import type { LineageView } from "./lineage_view.ts";

export type { ScenarioEntry, ScenarioInvocation } from "./scenario_entry.ts";
import type { ScenarioEntry } from "./scenario_entry.ts";

/**
 * The entry of scenario record `record` (already read) with id `id`; a record that is
 * not a scenario record fails with `InvalidObject` saying what does not fit.
 */
export const scenarioEntryOf = (id: string, record: StoreRecord): ScenarioEntry => {
  const r = decodeScenarioRecord(record);
  if (!r) {
    throw storeError(
      new InvalidObject({
        id,
        detail: `not a scenario record: ${scenarioRecordProblem(record) ?? "wrong shape"}`,
      }),
    );
  }
  return {
    id,
    name: r.name,
    status: r.status,
    config: r.config,
    tags: r.tags,
    facets: r.facets,
    invocations: r.invocations,
    loops: r.loops ?? [],
    parent: r.parent,
    startedAt: r.startedAt,
    durationMs: r.durationMs,
  };
};

/** Reads scenario record `id`. */
export const readScenario = (id: string): Effect.Effect<ScenarioEntry, StoreError, ObjectStore> =>
  Effect.gen(function* () {
    const store = yield* ObjectStore;
    const record = yield* store.readRecord(id);
    return yield* Effect.try({
      try: () => scenarioEntryOf(id, record),
      catch: (e) => e as StoreError,
    });
  });

/** Names of all scenarios (with a ref). */
export const scenarioNames: Effect.Effect<string[], StoreError, ObjectStore> = Effect.gen(
  function* () {
    const store = yield* ObjectStore;
    return (yield* store.listRefs("scenarios/")).map((r) => r.name.slice("scenarios/".length));
  },
);

/**
 * The history of scenario `name`, newest first (up to `limit` records). Records
 * removed by gc end the history early.
 */
export const scenarioHistory = (
  name: string,
  limit = Infinity,
): Effect.Effect<ScenarioEntry[], StoreError, ObjectStore> =>
  Effect.gen(function* () {
    const store = yield* ObjectStore;
    const out: ScenarioEntry[] = [];
    let id = yield* store.readRef(`scenarios/${name}`);
    while (id && out.length < limit) {
      const entry = yield* readScenario(id).pipe(Effect.orElseSucceed(() => undefined));
      if (!entry) break;
      out.push(entry);
      id = entry.parent;
    }
    return out;
  });

/** One record of a scenario's history, as `cairn scenarios` lists it. */
export interface ScenarioSummary {
  /** The record's object id. */
  readonly id: string;
  /** When the scenario run started (ISO 8601). */
  readonly startedAt: string;
  /** How it ended (`ok`, `failed`). */
  readonly status: string;
  /** Invocations that were cache hits. */
  readonly hits: number;
  /** Invocations that ran. */
  readonly misses: number;
  /** Invocations that failed. */
  readonly failed: number;
  /** How long it took. */
  readonly durationMs: number;
  /** How its `iterate` loops ended: `{ iterations, of, converged }` each. */
  readonly loops: ScenarioEntry["loops"];
  /** Its tags. */
  readonly tags: readonly string[];
  /** Its facets. */
  readonly facets: Readonly<Record<string, unknown>>;
  /** The record before it (null for the first). */
  readonly parent: string | null;
}

/** A scenario and its history, newest first. */
export interface ScenarioListing {
  /** The scenario's name. */
  readonly name: string;
  /** Its records, newest first. */
  readonly history: readonly ScenarioSummary[];
}

/**
 * Every scenario, names sorted, each with up to `limit` records of its history,
 * newest first — from the query index when `view` is one (no record read), else
 * from the records.
 */
export const listScenarios = (
  view: LineageView,
  limit = Infinity,
): Effect.Effect<ScenarioListing[], StoreError, ObjectStore> =>
  Effect.gen(function* () {
    const store = yield* ObjectStore;
    const out: ScenarioListing[] = [];
    for (const name of (yield* scenarioNames).sort()) {
      if (isIndexed(view)) {
        const heads = view.history(yield* store.readRef(`scenarios/${name}`), limit);
        out.push({
          name,
          history: heads.map((h) => ({
            id: h.id,
            startedAt: h.startedAt,
            status: h.status,
            hits: h.hits,
            misses: h.invocationCount - h.hits,
            failed: h.failed,
            durationMs: h.durationMs,
            loops: h.loops,
            tags: h.tags,
            facets: h.facets,
            parent: h.parent,
          })),
        });
        continue;
      }
      const history = yield* scenarioHistory(name, limit);
      out.push({
        name,
        history: history.map((e) => ({
          id: e.id,
          startedAt: e.startedAt,
          status: e.status,
          hits: e.invocations.filter((i) => i.hit).length,
          misses: e.invocations.filter((i) => !i.hit).length,
          failed: e.invocations.filter((i) => i.status === "failed").length,
          durationMs: e.durationMs,
          loops: e.loops,
          tags: e.tags,
          facets: e.facets,
          parent: e.parent,
        })),
      });
    }
    return out;
  });

/**
 * The history of scenario `name`, as {@linkcode scenarioHistory} reads it — from
 * the query index when `view` is one.
 */
export const historyOf = (
  view: LineageView,
  name: string,
  limit = Infinity,
): Effect.Effect<ScenarioEntry[], StoreError, ObjectStore> =>
  isIndexed(view)
    ? Effect.gen(function* () {
      const store = yield* ObjectStore;
      return view.history(yield* store.readRef(`scenarios/${name}`), limit).map((h) =>
        view.scenarioEntry(h.id)!
      );
    })
    : scenarioHistory(name, limit);

/** Scenario record `id`, from the query index when `view` is one and holds it. */
export const scenarioOf = (
  view: LineageView,
  id: string,
): Effect.Effect<ScenarioEntry, StoreError, ObjectStore> => {
  const indexed = isIndexed(view) ? view.scenarioEntry(id) : undefined;
  return indexed ? Effect.succeed(indexed) : readScenario(id);
};
