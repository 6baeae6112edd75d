/**
 * `cairn fsck --repair`: the store's own repairs (damaged objects set aside, refs
 * reset from their reflogs; see `store/repair.ts`), then what only the pipeline
 * layer knows: which runs' outputs are now damaged or missing. Their cache entries
 * are withdrawn, so their next invocation is a miss that re-computes the outputs
 * (and a put of the right bytes re-creates every object set aside).
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { ObjectStore, type ObjectStoreApi } from "../../store/object_store.ts";
import type { StoreError } from "../../store/errors.ts";
import type { FsckProblem, FsckReport } from "../../store/fsck.ts";
import type { RepairReport } from "../../store/repair.ts";
import { INDEX_TARGETS } from "../model/lineage_entry.ts";
import { decodeRunRecord } from "../model/run_record.ts";
import {
  CACHE_INDEX,
  decodeCacheValue,
  droppedCacheValue,
  droppedRun,
} from "../model/cache_entry.ts";

/** A run whose outputs are damaged or missing; its cache entry was withdrawn. */
export interface RepairedRun {
  /** The run whose cache entry was withdrawn. */
  readonly run: string;
  /** Its step. */
  readonly step: string;
  /** Its iteration (null outside `iterate`). */
  readonly iteration: number | null;
  /** Its scenario. */
  readonly scenario: string | null;
  /** The objects of its outputs (or inside them) that are gone. */
  readonly missing: readonly string[];
}

/** What `fsck --repair` found and did. */
export interface RepairResult {
  /** The fsck before the repair. */
  readonly fsck: FsckReport;
  /** What the store's own repair did. */
  readonly store: RepairReport;
  /** Runs whose cache entries this repair withdrew. */
  readonly runs: readonly RepairedRun[];
  /** Runs withdrawn earlier (by a read or a repair) whose next invocation still has to re-create their outputs. */
  readonly pending: readonly RepairedRun[];
  /** Problems the repair leaves for a person (a quick fsck after it, minus what re-runs re-create). */
  readonly left: readonly FsckProblem[];
}

// The objects of `id`'s closure (a tree's members, recursively) that are not present.
const missingIn = (
  store: ObjectStoreApi,
  id: string,
  kind: "blob" | "tree",
  known: Map<string, readonly string[]>,
): Effect.Effect<readonly string[], StoreError> =>
  Effect.gen(function* () {
    const seen = known.get(id);
    if (seen) return seen;
    let out: readonly string[] = [];
    if (!(yield* store.has(id))) out = [id];
    else if (kind === "tree") {
      const entries = yield* Effect.orElseSucceed(store.readTree(id), () => undefined);
      if (!entries) out = [id];
      else {
        const inner: string[] = [];
        for (const e of entries) {
          const lost = yield* missingIn(
            store,
            e.id,
            e.mode === "directory" ? "tree" : "blob",
            known,
          );
          for (const m of lost) inner.push(m);
        }
        out = inner;
      }
    }
    known.set(id, out);
    return out;
  });

/** Repairs the store; see the module doc. */
export const repairStore: Effect.Effect<RepairResult, StoreError, ObjectStore> = Effect.gen(
  function* () {
    const store = yield* ObjectStore;
    const { fsck, repair } = yield* store.repair({ indexTargets: INDEX_TARGETS });
    const runs: RepairedRun[] = [];
    const pending: RepairedRun[] = [];
    const recreated = new Set<string>();
    const needsWalk = repair.setAside.length > 0 ||
      fsck.problems.some((p) => p.kind === "missing");
    if (needsWalk) {
      const cache = store.index(CACHE_INDEX);
      const known = new Map<string, readonly string[]>();
      for (const [key, values] of yield* cache.snapshot()) {
        const last = values[values.length - 1] ?? "";
        const entry = decodeCacheValue(last);
        const withdrawn = entry ? undefined : droppedRun(last);
        const run = entry?.run ?? withdrawn;
        if (!run) continue;
        const record = decodeRunRecord(
          yield* Effect.orElseSucceed(store.readRecord(run), () => undefined),
        );
        const outputs = entry?.outputs ?? record?.outputs ?? {};
        const missing: string[] = [];
        for (const output of Object.values(outputs)) {
          // One by one: a directory can have lost more than a call takes arguments.
          for (const m of yield* missingIn(store, output.id, output.kind, known)) missing.push(m);
        }
        if (missing.length === 0) continue;
        if (entry) yield* cache.append(key, droppedCacheValue(entry.run));
        for (const id of missing) recreated.add(id);
        (entry ? runs : pending).push({
          run,
          step: record?.step ?? "(unreadable run record)",
          iteration: record?.iteration ?? null,
          scenario: record?.scenario ?? null,
          missing: [...new Set(missing)].sort(),
        });
      }
    }
    const after = yield* store.fsck({ quick: true, indexTargets: INDEX_TARGETS });
    const left = after.problems.filter((p) => !(p.kind === "missing" && recreated.has(p.subject)));
    return { fsck, store: repair, runs, pending, left };
  },
);
