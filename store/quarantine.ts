/**
 * Setting damaged objects aside. An object whose bytes no longer hash to its id
 * (changed through a hard link, truncated by a crash, flipped on disk) is moved to
 * `quarantine/<id>-<unique>` the moment a read finds it damaged, so that nothing
 * reads it again and the next put of the right bytes writes the object afresh —
 * without this a damaged object could never be repaired by re-running its step.
 *
 * The move happens under the exclusive gc lock, after the file at the object's path
 * is hashed again there: only an object still damaged is moved.
 *
 * @module
 */
import { objectPath } from "./layout.ts";
import type { StoreContext } from "./context.ts";
import type { ObjectKind } from "./object_id.ts";
import { isNotFound, lstatOrUndefined, uniqueName } from "./_fs.ts";

/** What was found at the object's path under the lock. */
export type Recheck =
  | { readonly setAside: string }
  | { readonly intact: ObjectKind }
  | { readonly gone: true }
  /** Damaged, and left in place (it may be a record: see `keepRecords`). */
  | { readonly damaged: true };

// A damaged object whose bytes begin as a record does: its links are unknown, and
// whatever only it reaches would be swept by gc if it went missing.
const mayBeRecord = (path: string): boolean => {
  const file = Deno.openSync(path, { read: true });
  try {
    const head = new Uint8Array(1);
    return file.readSync(head) === 1 && head[0] === 0x7b;
  } finally {
    file.close();
  }
};

/**
 * Re-checks object `id` under the exclusive gc lock — `kindOf` hashes what is at the
 * path now and says which kind it proves, if any — and moves it into `quarantine/`
 * when it is still damaged. A writer repairs an object by renaming a new file into
 * place under the shared lock, so a repair is never undone; an object that is intact
 * after all (read as the wrong kind) is left where it is. With `keepRecords` (a read
 * found the damage) an object that may be a record stays too: records are roots and
 * link to what gc keeps, so a damaged one must stop gc (naming it) rather than go
 * missing, and `fsck --repair` decides; blobs and trees are set aside at once (what a
 * tree reached is re-created with it by its producer's re-run).
 */
export const quarantine = (
  ctx: StoreContext,
  id: string,
  kindOf: (path: string) => ObjectKind | undefined,
  options: { readonly keepRecords: boolean },
): Recheck => {
  const path = objectPath(ctx.layout, id);
  const aside = `${ctx.layout.quarantine}/${id}-${uniqueName("q")}`;
  return ctx.session.locked((): Recheck => {
    // Never through a link: a shard directory that is a link out of the store, or a
    // link planted at the object's path, would have the rename take an outside file.
    const shard = lstatOrUndefined(path.slice(0, path.lastIndexOf("/")));
    const now = lstatOrUndefined(path);
    if (!shard?.isDirectory || !now?.isFile) return { gone: true };
    let kind: ObjectKind | undefined;
    try {
      kind = kindOf(path);
    } catch (e) {
      if (isNotFound(e)) return { gone: true };
      throw e;
    }
    if (kind) return { intact: kind };
    if (options.keepRecords && mayBeRecord(path)) return { damaged: true };
    Deno.mkdirSync(ctx.layout.quarantine, { recursive: true });
    try {
      Deno.renameSync(path, aside);
    } catch (e) {
      if (isNotFound(e)) return { gone: true };
      throw e;
    }
    return { setAside: aside };
  }, true);
};
