/**
 * gc with a retention policy for scenario histories. `keepLast: n` keeps the n
 * newest records of each scenario; `olderThanMs: d` drops records older than d
 * (the newest record of a scenario is always kept). Everything the kept records
 * reach — their runs, outputs, inputs and those runs' lineage — is kept; objects
 * only older records reached are collected, and their cache entries dropped.
 *
 * A history is cut below its oldest kept record. The policy reads the histories
 * before gc takes its lock, and hands gc the value of each scenario ref it read: a
 * ref that moved in between (a run finished) is then an ordinary root, so the new
 * record and everything under it stay this time. A ref that does not name a
 * readable scenario record is not handled at all: gc keeps what it names as it
 * keeps any root, and stops with an error naming it when it is damaged or missing.
 * A damaged record the policy would keep stops it too, naming the scenario; one it
 * would drop anyway is collected with the rest.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { ObjectStore, type ObjectStoreApi } from "../../store/object_store.ts";
import { type StoreError, storeError, UnreadableRoot } from "../../store/errors.ts";
import type { GcOptions, GcReport } from "../../store/gc.ts";
import { withObjectFacts } from "./_object_facts.ts";
import { type ScenarioEntry, scenarioEntryOf } from "./scenarios.ts";

/** Options of {@linkcode collectGarbage}. */
export interface CollectOptions {
  /** Report what would be removed without removing anything. */
  readonly dryRun?: boolean;
  /** Keep the n newest records of each scenario. */
  readonly keepLast?: number;
  /** Drop scenario records that started more than this long ago. */
  readonly olderThanMs?: number;
  /** Unreachable objects younger than this are kept (default one hour; a remote's: 7 days). */
  readonly graceMs?: number;
  /** Reflog entries younger than this are roots (default 90 days). */
  readonly reflogExpiryMs?: number;
  /** The kinds of a record's links its format says (see `GcOptions`; a remote uses them). */
  readonly linkKinds?: GcOptions["linkKinds"];
}

/** What was kept and removed. */
export interface CollectReport extends GcReport {
  /** Scenario records dropped from histories. */
  readonly scenarioRecordsDropped: number;
}

type HistoryRecord =
  | { readonly status: "scenario"; readonly entry: ScenarioEntry }
  | { readonly status: "missing" }
  | { readonly status: "other" }
  | { readonly status: "damaged"; readonly detail: string };

// Reads record `id` of a history: a scenario record, absent, something else intact,
// or damaged (its kind is proved by hashing first, so a blob is not taken for damage).
const readHistoryRecord = (
  store: ObjectStoreApi,
  id: string,
): Effect.Effect<HistoryRecord> =>
  Effect.gen(function* () {
    const kind = yield* store.identify(id);
    if (kind !== "record") return { status: "other" } as const;
    const record = yield* store.readRecord(id);
    if (record.type !== "scenario") return { status: "other" } as const;
    const entry = yield* Effect.try({
      try: () => scenarioEntryOf(id, record),
      catch: (e) => e as StoreError,
    });
    return { status: "scenario", entry } as const;
  }).pipe(
    Effect.catch((e: StoreError) =>
      Effect.succeed<HistoryRecord>(
        e.reason._tag === "ObjectNotFound" ? { status: "missing" } : {
          status: "damaged",
          detail: e.reason._tag === "IntegrityMismatch"
            ? `its bytes hash to ${e.reason.actual}`
            : e.message,
        },
      )
    ),
  );

// How many records a dropped part of a history holds (as far as they can be read).
const countFrom = (
  store: ObjectStoreApi,
  id: string | null,
): Effect.Effect<number> =>
  Effect.gen(function* () {
    let n = 0;
    for (let next = id; next !== null; n++) {
      const read = yield* readHistoryRecord(store, next);
      next = read.status === "scenario" ? read.entry.parent : null;
    }
    return n;
  });

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
      ...(options.reflogExpiryMs !== undefined ? { reflogExpiryMs: options.reflogExpiryMs } : {}),
      ...(options.linkKinds ? { linkKinds: options.linkKinds } : {}),
    };
    // Object facts live in a local store's query index; a remote (a URL) has none.
    const gc = (options: GcOptions) =>
      /^[a-z][a-z0-9+.-]*:\/\//.test(store.root)
        ? store.gc(options)
        : withObjectFacts((facts) => store.gc({ ...options, ...(facts ? { facts } : {}) }));
    if (!policy) return { ...(yield* gc(base)), scenarioRecordsDropped: 0 };
    const cutoff = options.olderThanMs === undefined
      ? undefined
      : new Date(Date.now() - options.olderThanMs).toISOString();
    const keeps = (i: number, record: ScenarioEntry) =>
      i === 0 ||
      ((options.keepLast === undefined || i < options.keepLast) &&
        (cutoff === undefined || record.startedAt >= cutoff));
    const kept = new Map<string, string>();
    const handledRefs = new Map<string, string>();
    const cutLinks = new Map<string, Set<string>>();
    let dropped = 0;
    for (const { name: ref, id: head } of yield* store.listRefs("scenarios/")) {
      const name = ref.slice("scenarios/".length);
      const first = yield* readHistoryRecord(store, head);
      if (first.status !== "scenario") continue; // an ordinary root for gc
      handledRefs.set(ref, head);
      let record = first.entry;
      for (let i = 0;; i++) {
        kept.set(record.id, `record ${i + 1} of scenario "${name}"`);
        const parent = record.parent;
        if (parent === null) break;
        const next = yield* readHistoryRecord(store, parent);
        // Collected before (a history cut earlier), or not a scenario record (kept as linked).
        if (next.status === "missing" || next.status === "other") break;
        const droppedAnyway = options.keepLast !== undefined && i + 1 >= options.keepLast;
        if (next.status === "damaged" && !droppedAnyway) {
          return yield* Effect.fail(
            storeError(
              new UnreadableRoot({
                root: `record ${i + 2} of scenario "${name}"`,
                id: parent,
                linkedFrom: null,
                detail: `is damaged (${next.detail})`,
              }),
            ),
          );
        }
        if (next.status === "damaged" || !keeps(i + 1, next.entry)) {
          cutLinks.set(record.id, new Set([parent]));
          dropped += next.status === "damaged" ? 1 : yield* countFrom(store, parent);
          break;
        }
        record = next.entry;
      }
    }
    const report = yield* gc({ ...base, extraRoots: kept, handledRefs, cutLinks });
    return { ...report, scenarioRecordsDropped: dropped };
  });
