/**
 * fsck with the pipeline's knowledge of its indexes: the store's own checks, and
 * that every cache and lineage entry names a run record (an entry that names a blob
 * passes the store's checks but would be trusted as a run with forged outputs). The
 * object facts earlier passes learned are kept in the query index: a quick fsck
 * does not read again an object whose file is unchanged since.
 *
 * @module
 */
import type * as Effect from "effect/Effect";
import { ObjectStore } from "../../store/object_store.ts";
import type { StoreError } from "../../store/errors.ts";
import type { FsckOptions, FsckReport } from "../../store/fsck.ts";
import { INDEX_TARGETS } from "../model/lineage_entry.ts";
import { withObjectFacts } from "./_object_facts.ts";

/**
 * Checks the store as fsck does, and the kinds the pipeline's indexes name.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ObjectStore } from "../../store/object_store.ts"
 * import { checkStore } from "./check_store.ts"
 *
 * const report = checkStore({ quick: true }).pipe(Effect.provide(ObjectStore.layerTemp))
 * ```
 */
export const checkStore = (
  options: Omit<FsckOptions, "indexTargets"> = {},
): Effect.Effect<FsckReport, StoreError, ObjectStore> =>
  withObjectFacts((facts) =>
    ObjectStore.use((store) =>
      store.fsck({
        ...(facts ? { facts } : {}),
        ...options,
        indexTargets: INDEX_TARGETS,
      })
    )
  );
