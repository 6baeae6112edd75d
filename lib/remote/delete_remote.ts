/**
 * `push --delete`: remove scenarios from a remote — their refs only, each by
 * compare-and-swap on the value read (a ref another machine moved meanwhile is
 * left alone and reported), and the local tracking refs with them. The records and
 * what they link stay on the remote; its reflog keeps the old value, and remote gc
 * collects what no root reaches any more once the reflog entries expire.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import type { StoreError } from "../../store/errors.ts";
import type { ObjectId } from "../../store/object_id.ts";
import type { ObjectStoreApi } from "../../store/object_store.ts";
import { RemoteError } from "./remote_error.ts";

/** What happened to one remote scenario ref. */
export interface DeletedRef {
  readonly scenario: string;
  /** The remote's record before. */
  readonly from: ObjectId;
  readonly result: "deleted" | "rejected";
  /** Why it was rejected. */
  readonly detail?: string;
}

/**
 * Deletes `scenarios` from `remote` (named `name` in the local store).
 *
 * @example
 * ```ts ignore
 * const report = yield* deleteRemote(local, remote, "origin", ["old-run"])
 * ```
 */
export const deleteRemote = (
  local: ObjectStoreApi,
  remote: ObjectStoreApi,
  name: string,
  scenarios: readonly string[],
): Effect.Effect<readonly DeletedRef[], StoreError | RemoteError> =>
  Effect.gen(function* () {
    const found = yield* Effect.forEach(scenarios, (s) => remote.readRef(`scenarios/${s}`));
    const absent = scenarios.filter((_, i) => found[i] === null);
    if (absent.length > 0) {
      return yield* Effect.fail(
        new RemoteError({
          detail: `Cannot delete ${
            absent.map((s) => `"${s}"`).join(", ")
          }: the remote "${name}" has no such scenario; nothing was deleted`,
        }),
      );
    }
    return yield* Effect.forEach(scenarios, (scenario, i) =>
      Effect.gen(function* () {
        const from = found[i]!;
        const gone = yield* remote.updateRef(`scenarios/${scenario}`, null, {
          expected: from,
          message: `delete from ${Deno.hostname()}`,
        }).pipe(
          Effect.as(true),
          Effect.catchReason("StoreError", "RefConflict", () => Effect.succeed(false)),
        );
        if (!gone) {
          return {
            scenario,
            from,
            result: "rejected" as const,
            detail: "the remote's ref moved while this ran (another machine pushed); look again",
          };
        }
        const tracking = `remotes/${name}/scenarios/${scenario}`;
        if ((yield* local.readRef(tracking)) !== null) {
          yield* local.updateRef(tracking, null, { message: "push --delete" });
        }
        return { scenario, from, result: "deleted" as const };
      }));
  });
