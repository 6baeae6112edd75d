/**
 * gc with a retention policy for scenario histories. `keepLast: n` keeps the n
 * newest records of each scenario; `olderThanMs: d` drops records older than d
 * (the newest record of a scenario is always kept). Everything the kept records
 * reach — their runs, outputs, inputs and those runs' lineage — is kept; objects
 * only older records reached are collected, and their cache entries dropped.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { ObjectStore } from "../../store/object_store.ts";
import type { StoreError } from "../../store/errors.ts";
import type { GcReport } from "../../store/gc.ts";
import { scenarioHistory, scenarioNames } from "./scenarios.ts";

/** Options of {@linkcode collectGarbage}. */
export interface CollectOptions {
  readonly dryRun?: boolean;
  /** Keep the n newest records of each scenario. */
  readonly keepLast?: number;
  /** Drop scenario records that started more than this long ago. */
  readonly olderThanMs?: number;
  /** Unreachable objects younger than this are kept (default one hour). */
  readonly graceMs?: number;
}

/** What was kept and removed. */
export interface CollectReport extends GcReport {
  /** Scenario records dropped from histories. */
  readonly scenarioRecordsDropped: number;
}

/** Runs gc, applying the scenario retention policy when one is given. */
export const collectGarbage = (
  options: CollectOptions = {},
): Effect.Effect<CollectReport, StoreError, ObjectStore> =>
  Effect.gen(function* () {
    const store = yield* ObjectStore;
    const policy = options.keepLast !== undefined || options.olderThanMs !== undefined;
    const base = {
      dryRun: options.dryRun ?? false,
      ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}),
    };
    if (!policy) return { ...(yield* store.gc(base)), scenarioRecordsDropped: 0 };
    const cutoff = options.olderThanMs === undefined
      ? undefined
      : new Date(Date.now() - options.olderThanMs).toISOString();
    const kept: string[] = [];
    const cutLinks = new Map<string, Set<string>>();
    let dropped = 0;
    for (const name of yield* scenarioNames) {
      const history = yield* scenarioHistory(name);
      history.forEach((record, i) => {
        const keep = i === 0 ||
          ((options.keepLast === undefined || i < options.keepLast) &&
            (cutoff === undefined || record.startedAt >= cutoff));
        if (keep) kept.push(record.id);
        else dropped++;
      });
      // Cut the history below the oldest kept record.
      const oldestKept = history.filter((r) => kept.includes(r.id)).at(-1);
      if (oldestKept?.parent && !kept.includes(oldestKept.parent)) {
        cutLinks.set(oldestKept.id, new Set([oldestKept.parent]));
      }
    }
    const report = yield* store.gc({
      ...base,
      extraRoots: kept,
      ignoreRefs: (ref) => ref.startsWith("scenarios/"),
      cutLinks,
    });
    return { ...report, scenarioRecordsDropped: dropped };
  });
