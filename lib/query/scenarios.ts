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
import {
  decodeScenarioRecord,
  type Invocation,
  type LoopOutcome,
  scenarioRecordProblem,
} from "../model/scenario_record.ts";

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
  /** How its `iterate` loops ended (empty for a record written before loops were recorded). */
  readonly loops: readonly LoopOutcome[];
  readonly parent: string | null;
  readonly startedAt: string;
  readonly durationMs: number;
}

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
