/**
 * Scenario histories: `refs/scenarios/<name>` names the newest record, each record
 * names its parent — a history like commits.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { ObjectStore } from "../../store/object_store.ts";
import type { StoreError } from "../../store/errors.ts";
import type { StoreRecord } from "../../store/record.ts";
import type { Invocation } from "../pipeline.ts";

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

/** The entry of scenario record `record` (already read) with id `id`. */
export const scenarioEntryOf = (id: string, r: StoreRecord): ScenarioEntry => ({
  id,
  name: String(r.name),
  status: String(r.status),
  config: r.config,
  tags: (r.tags ?? []) as string[],
  facets: (r.facets ?? {}) as Record<string, unknown>,
  invocations: (r.invocations ?? []) as unknown as ScenarioInvocation[],
  parent: (r.parent as string | null) ?? null,
  startedAt: String(r.startedAt ?? ""),
  durationMs: Number(r.durationMs ?? 0),
});

/** Reads scenario record `id`. */
export const readScenario = (id: string): Effect.Effect<ScenarioEntry, StoreError, ObjectStore> =>
  Effect.gen(function* () {
    const store = yield* ObjectStore;
    return scenarioEntryOf(id, yield* store.readRecord(id));
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
