/**
 * `show`: what a target names, in full — a run record, a scenario record, or an
 * artifact with its name, codec, size, the runs that produced and consumed it and,
 * for a tree, its entries.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { ObjectStore, type ObjectStoreApi } from "../../store/object_store.ts";
import type { StoreError } from "../../store/errors.ts";
import type { StoreRecord } from "../../store/record.ts";
import type { TreeEntry } from "../../store/tree.ts";
import { lineageOf } from "./lineage.ts";
import type { LineageView } from "./lineage_view.ts";
import { QueryError } from "./query_error.ts";
import { resolveTarget } from "./resolve_target.ts";

/** An artifact as `show` describes it. */
export interface ShownArtifact {
  /** What `show` found: an artifact. */
  readonly kind: "artifact";
  /** Its object id. */
  readonly id: string;
  /** A blob (a file) or a tree (a directory). */
  readonly objectKind: "blob" | "tree";
  /** Output name (or input name, for an external input); `?` when no run names it. */
  readonly name: string;
  /** Codec name; `?` when no run names it. */
  readonly codec: string;
  /** Bytes (of all files, for a tree). */
  readonly size: number;
  /** Runs that produced these bytes, oldest first. */
  readonly producers: readonly string[];
  /** Runs that read these bytes, oldest first. */
  readonly consumers: readonly string[];
  /** False when the object is no longer in the store (removed by gc). */
  readonly stored: boolean;
  /** The entries of a tree that is in the store. */
  readonly entries?: readonly TreeEntry[];
}

/** What a target names, in full. */
export type Shown =
  | { readonly kind: "run"; readonly id: string; readonly record: StoreRecord }
  | { readonly kind: "scenario"; readonly id: string; readonly record: StoreRecord }
  | ShownArtifact;

// Bytes of an object no run describes: read (and verified) to count them.
const sizeOf = (
  store: ObjectStoreApi,
  id: string,
  kind: "blob" | "tree",
): Effect.Effect<number, StoreError> =>
  kind === "blob" ? store.streamBlob(id, () => {}) : Effect.gen(function* () {
    let total = 0;
    for (const entry of yield* store.readTree(id)) {
      total += yield* sizeOf(store, entry.id, entry.mode === "directory" ? "tree" : "blob");
    }
    return total;
  });

/**
 * Shows `target` (anything `resolveTarget` accepts: an id or unique prefix, a
 * scenario, an output name, `<scenario>:<output>`, a path).
 *
 * @example Showing the newest `skims` output
 * ```ts
 * import { Effect } from "effect"
 * import { ObjectStore } from "../../store/object_store.ts"
 * import { loadLineageView } from "./lineage_view.ts"
 * import { showTarget } from "./show.ts"
 *
 * const shown = Effect.gen(function* () {
 *   return yield* showTarget(yield* loadLineageView, "skims")
 * }).pipe(Effect.provide(ObjectStore.layer({ root: ".cairn" })))
 * ```
 */
export const showTarget = (
  view: LineageView,
  target: string,
): Effect.Effect<Shown, QueryError | StoreError, ObjectStore> =>
  Effect.gen(function* () {
    const store = yield* ObjectStore;
    const resolved = yield* resolveTarget(target, view);
    if (resolved.kind !== "artifact") {
      return { kind: resolved.kind, id: resolved.id, record: yield* store.readRecord(resolved.id) };
    }
    const { id } = resolved;
    // Depth 0 describes the artifact from the runs that made or read it, and walks no further.
    const described = lineageOf(view, [id], 0).artifacts[id]!;
    const stored = yield* store.has(id);
    const known = described.kind === "blob" || described.kind === "tree";
    const objectKind = known ? described.kind as "blob" | "tree" : yield* store.identify(id);
    if (objectKind === "record") {
      return yield* Effect.fail(
        new QueryError({
          detail:
            `Cannot show "${target}": object "${id}" is a record but neither a run nor a scenario; give an artifact, run or scenario`,
        }),
      );
    }
    const entries = stored && objectKind === "tree" ? [...yield* store.readTree(id)] : undefined;
    return {
      kind: "artifact",
      id,
      objectKind,
      name: described.name,
      codec: described.codec,
      size: known ? described.size : yield* sizeOf(store, id, objectKind),
      producers: [...(view.producedBy.get(id) ?? [])],
      consumers: [...(view.consumedBy.get(id) ?? [])],
      stored,
      ...(entries ? { entries } : {}),
    };
  });
