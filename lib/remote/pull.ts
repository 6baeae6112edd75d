/**
 * `pull`: bring scenarios from a remote store — their records (the scenario's
 * history and every run those name, transitively through the runs that made their
 * inputs) and, with `all`, every byte they link to; then the local index entries
 * (lineage for every run pulled, cache entries for the runs whose closure is now
 * complete here), then the refs. Without `all` the outputs' bytes stay on the
 * remote: lineage, `why`, `show` and `runs` work on the records alone.
 *
 * Every downloaded byte is verified against its id (the remote's reads hash it; the
 * local store hashes what it stores again). Refs: `remotes/<remote>/scenarios/<name>`
 * always takes the remote's value; `scenarios/<name>` is created or moved forward,
 * never back and never across a divergence (then the local history stays, and the
 * remote's is kept by the tracking ref).
 *
 * @module
 */
import * as Effect from "effect/Effect";
import type { StoreError } from "../../store/errors.ts";
import type { ObjectId } from "../../store/object_id.ts";
import type { EntryNeeding, ObjectStoreApi } from "../../store/object_store.ts";
import { CACHE_INDEX, encodeCacheValue } from "../model/cache_entry.ts";
import { LINEAGE_INDEX, lineageEntries, summaryOfRecord } from "../model/lineage_entry.ts";
import { decodeRunRecord } from "../model/run_record.ts";
import { copyObjects, type CopyProgress } from "./copy_objects.ts";
import { RemoteError, type RemoteUnavailable } from "./remote_error.ts";
import { remoteFailures } from "./_unavailable.ts";
import { isAncestor } from "./scenario_history.ts";
import { withScratch } from "./_scratch.ts";

/** What to pull. */
export interface PullOptions {
  /** The remote's name (for the tracking refs). */
  readonly remote: string;
  /** Scenario names (default: every scenario of the remote). */
  readonly scenarios?: readonly string[];
  /** Every byte too, not only the records. */
  readonly all?: boolean;
  readonly onProgress?: (progress: CopyProgress) => void;
}

/** What happened to one scenario's local ref. */
export interface PulledRef {
  readonly scenario: string;
  /** The local record before, and the remote's. */
  readonly from: ObjectId | null;
  readonly to: ObjectId;
  readonly result: "created" | "fast-forward" | "up-to-date" | "local-ahead" | "diverged";
}

/** What a pull did. */
export interface PullReport {
  readonly remote: string;
  readonly refs: readonly PulledRef[];
  /** Objects and payload bytes downloaded (verified). */
  readonly objects: number;
  readonly bytes: number;
  /** Objects found already here. */
  readonly present: number;
  /** Local index entries written. */
  readonly lineageEntries: number;
  readonly cacheEntries: number;
  /** Links the remote says were cut on purpose (a shortened history), recorded here as cut. */
  readonly cutLinks: number;
}

/** Pulls scenarios from `remote` into `local` (see the module doc). */
export const pull = (
  local: ObjectStoreApi,
  remote: ObjectStoreApi,
  options: PullOptions,
): Effect.Effect<PullReport, StoreError | RemoteError | RemoteUnavailable> =>
  Effect.gen(function* () {
    const heads = new Map(
      (yield* remote.listRefs("scenarios/")).map((r) => [r.name.slice("scenarios/".length), r.id]),
    );
    const names = options.scenarios ?? [...heads.keys()];
    for (const name of names) {
      if (!heads.has(name)) {
        return yield* Effect.fail(
          new RemoteError({
            detail: `Cannot pull "${name}": the remote "${options.remote}" has no such scenario`,
          }),
        );
      }
    }
    const all = options.all ?? false;
    const copied = yield* withScratch(local, (scratch) =>
      copyObjects(
        remote,
        local,
        names.map((n) => ({ id: heads.get(n)!, kind: "record" as const })),
        {
          bytes: all,
          // A local record may lack its bytes (pulled without them): look into it.
          trustPresent: !all,
          scratch,
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        },
      ));

    // Index entries, as a local run writes them (reindex's rules): lineage for every
    // run, a cache entry only where the run's closure is complete here.
    const lineage = yield* local.index(LINEAGE_INDEX).snapshot();
    const cache = yield* local.index(CACHE_INDEX).snapshot();
    const fresh: [string, string][] = [];
    const entries: EntryNeeding[] = [];
    for (const [id, raw] of copied.records) {
      const record = decodeRunRecord(raw);
      if (!record) {
        continue;
      }
      const summary = summaryOfRecord(record);
      for (const [key, value] of lineageEntries(id, summary)) {
        if (!(lineage.get(key) ?? []).includes(value)) fresh.push([key, value]);
      }
      const value = encodeCacheValue(id, summary.outputs);
      if (record.uncached === undefined && !(cache.get(record.key) ?? []).includes(value)) {
        entries.push({ index: CACHE_INDEX, key: record.key, value, needs: [id] });
      }
    }
    if (fresh.length > 0) yield* local.index(LINEAGE_INDEX).appendMany(fresh);
    const { appended } = yield* local.appendIfComplete(entries);

    const refs = yield* Effect.forEach(names, (scenario) =>
      Effect.gen(function* () {
        const to = heads.get(scenario)!;
        const ref = `scenarios/${scenario}`;
        yield* local.updateRef(`remotes/${options.remote}/${ref}`, to, { message: "pull" });
        const from = yield* local.readRef(ref);
        const result: PulledRef["result"] = from === to
          ? "up-to-date"
          : from === null
          ? "created"
          : (yield* isAncestor(local, from, to))
          ? "fast-forward"
          : (yield* isAncestor(local, to, from))
          ? "local-ahead"
          : "diverged";
        if (result === "created" || result === "fast-forward") {
          yield* local.updateRef(ref, to, {
            expected: from,
            message: `pull from ${options.remote}`,
          });
        }
        return { scenario, from, to, result };
      }), { concurrency: 8 });
    return {
      remote: options.remote,
      refs,
      objects: copied.objects,
      bytes: copied.bytes,
      present: copied.present,
      lineageEntries: fresh.length,
      cacheEntries: appended,
      cutLinks: copied.cutLinks,
    };
  }).pipe(remoteFailures("pull", options.remote, remote));
