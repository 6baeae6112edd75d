/**
 * `push`: send scenarios to a remote store — their records, the runs those link,
 * outputs, inputs, sources and logs (the whole closure, what the remote lacks
 * only), then the cache entries of their runs, then the refs. The order is the
 * remote's guarantee: it never names an object it does not fully hold — objects
 * before the records that link them, records before the cache entries and refs that
 * name them — so a push stopped anywhere (the server gone, Ctrl-C) leaves only
 * complete closures and the next push completes it.
 *
 * A ref moves only forward (the remote's record must be an ancestor of ours, as
 * Git's fast-forward) and by compare-and-swap on the value read, so two machines
 * pushing at once cannot lose each other's record: the loser is rejected and told.
 * `force` replaces a diverged remote history (still by CAS; the remote's reflog
 * keeps the old value).
 *
 * @module
 */
import * as Effect from "effect/Effect";
import type { StoreError } from "../../store/errors.ts";
import type { ObjectId } from "../../store/object_id.ts";
import type { ObjectStoreApi } from "../../store/object_store.ts";
import { CACHE_INDEX, decodeCacheValue } from "../model/cache_entry.ts";
import { decodeRunRecord } from "../model/run_record.ts";
import { copyObjects, type CopyProgress } from "./copy_objects.ts";
import { RemoteError, type RemoteUnavailable } from "./remote_error.ts";
import { remoteFailures } from "./_unavailable.ts";
import { history, historyEnd, isAncestor } from "./scenario_history.ts";
import { withScratch } from "./_scratch.ts";

/** What to push. */
export interface PushOptions {
  /** The remote's name (for the tracking refs `remotes/<name>/scenarios/…`). */
  readonly remote: string;
  /** Scenario names (default: every scenario of the local store). */
  readonly scenarios?: readonly string[];
  /** Replace a remote history that is not an ancestor of ours. */
  readonly force?: boolean;
  readonly onProgress?: (progress: CopyProgress) => void;
}

/** What happened to one scenario's ref. */
export interface PushedRef {
  readonly scenario: string;
  /** The remote's record before, and ours. */
  readonly from: ObjectId | null;
  readonly to: ObjectId;
  readonly result: "created" | "fast-forward" | "forced" | "up-to-date" | "rejected";
  /** Why it was rejected. */
  readonly detail?: string;
}

/** What a push did. */
export interface PushReport {
  readonly remote: string;
  readonly refs: readonly PushedRef[];
  /** Objects and payload bytes sent. */
  readonly objects: number;
  readonly bytes: number;
  /** Objects the remote was found to hold already. */
  readonly present: number;
  /** Cache entries written to the remote. */
  readonly cacheEntries: number;
  /** Links cut on purpose (a history gc shortened here) recorded on the remote as cut. */
  readonly cutLinks: number;
}

const scenarioRef = (name: string) => `scenarios/${name}`;

/** Pushes scenarios from `local` to `remote` (see the module doc). */
export const push = (
  local: ObjectStoreApi,
  remote: ObjectStoreApi,
  options: PushOptions,
): Effect.Effect<PushReport, StoreError | RemoteError | RemoteUnavailable> =>
  Effect.gen(function* () {
    const heads = new Map(
      (yield* local.listRefs("scenarios/")).map((r) => [r.name.slice("scenarios/".length), r.id]),
    );
    const names = options.scenarios ?? [...heads.keys()];
    for (const name of names) {
      if (!heads.has(name)) {
        return yield* Effect.fail(
          new RemoteError({
            detail:
              `Cannot push "${name}": there is no such scenario here ("cairn scenarios" lists them)`,
          }),
        );
      }
    }
    // Decide every ref first: nothing is sent for a ref that would be rejected.
    const plans = yield* Effect.forEach(names, (scenario) =>
      Effect.gen(function* () {
        const to = heads.get(scenario)!;
        const from = yield* remote.readRef(scenarioRef(scenario));
        if (from === to) return { scenario, from, to, result: "up-to-date" as const };
        if (from === null) return { scenario, from, to, result: "created" as const };
        if (yield* isAncestor(local, from, to)) {
          return { scenario, from, to, result: "fast-forward" as const };
        }
        if (options.force) return { scenario, from, to, result: "forced" as const };
        // A history shortened here cannot show that the remote's record is in it.
        const end = yield* historyEnd(local, to);
        const detail = end?.cut
          ? `this history was shortened here by "cairn gc" (record ${
            end.record.slice(0, 12)
          } names parent ${
            end.parent.slice(0, 12)
          }, which gc removed), so it cannot tell whether the remote's record is one of its ancestors; push --force replaces it (the remote's reflog keeps the old value)`
          : end
          ? `record ${end.record.slice(0, 12)} of this history names parent ${
            end.parent.slice(0, 12)
          }, which this store lacks, so it cannot tell whether the remote's record is one of its ancestors; run "cairn fsck"`
          : "the remote's history is not an ancestor of this one (another machine pushed it); pull it, or push --force to replace it";
        return { scenario, from, to, result: "rejected" as const, detail };
      }), { concurrency: 8 });
    const going = plans.filter((p) => p.result !== "up-to-date" && p.result !== "rejected");

    const copied = yield* withScratch(
      local,
      (scratch) =>
        copyObjects(local, remote, going.map((p) => ({ id: p.to, kind: "record" as const })), {
          bytes: true,
          trustPresent: true,
          scratch,
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        }),
    );

    // The cache entries of every run the new records name (found again on each push
    // until the ref moves, so an interrupted push's entries are written by the next).
    const runs = new Set<ObjectId>();
    for (const plan of going) {
      for (const { record } of yield* history(local, plan.to, plan.from)) {
        for (const i of record.invocations) {
          if (i.run) {
            runs.add(i.run);
          }
        }
      }
    }
    const cache = local.index(CACHE_INDEX);
    const remoteCache = remote.index(CACHE_INDEX);
    const written = yield* Effect.forEach([...runs], (run) =>
      Effect.gen(function* () {
        const record = decodeRunRecord(
          yield* local.readRecord(run).pipe(Effect.orElseSucceed(() => undefined)),
        );
        if (!record || record.uncached !== undefined) return 0;
        const value = yield* cache.get(record.key);
        if (value === undefined || decodeCacheValue(value)?.run !== run) return 0;
        const theirs = yield* remoteCache.get(record.key);
        if (theirs !== undefined && decodeCacheValue(theirs) !== undefined) return 0;
        yield* remoteCache.append(record.key, value);
        return 1;
      }), { concurrency: 8 });

    const refs: PushedRef[] = yield* Effect.forEach(plans, (plan) =>
      Effect.gen(function* () {
        if (plan.result === "rejected") return plan;
        if (plan.result !== "up-to-date") {
          const moved = yield* remote.updateRef(scenarioRef(plan.scenario), plan.to, {
            expected: plan.from,
            message: `push from ${Deno.hostname()}`,
          }).pipe(
            Effect.as(true),
            Effect.catchReason("StoreError", "RefConflict", () => Effect.succeed(false)),
          );
          if (!moved) {
            return {
              ...plan,
              result: "rejected" as const,
              detail: "the remote's ref moved while this push ran; push again",
            };
          }
        }
        yield* local.updateRef(`remotes/${options.remote}/${scenarioRef(plan.scenario)}`, plan.to, {
          message: "push",
        });
        return plan;
      }), { concurrency: 8 });
    return {
      remote: options.remote,
      refs,
      objects: copied.objects,
      bytes: copied.bytes,
      present: copied.present,
      cacheEntries: written.reduce((a: number, b) => a + b, 0),
      cutLinks: copied.cutLinks,
    };
  }).pipe(remoteFailures("push", options.remote, remote));
