/**
 * Setting damaged objects aside. An object whose bytes no longer hash to its id
 * (changed through a hard link, truncated by a crash, flipped on disk) is moved to
 * `quarantine/<id>-<unique>` the moment a read finds it damaged, so that nothing
 * reads it again and the next put of the right bytes writes the object afresh —
 * without this a damaged object could never be repaired by re-running its step.
 *
 * The move happens under the exclusive gc lock and only if the file at the object's
 * path is still the one that was found damaged (the same inode: a writer that
 * repairs an object renames a new file into place), so a repair made in the
 * meantime is never undone.
 *
 * @module
 */
import { objectPath } from "./layout.ts";
import type { StoreContext } from "./objects.ts";
import { isNotFound, lstatOrUndefined, uniqueName } from "./_fs.ts";

/** Which file was found damaged: its inode, from the read's fstat. */
export interface DamagedFile {
  readonly ino: number | null;
}

/**
 * Moves damaged object `id` into `quarantine/`; returns the path it now has, or
 * undefined when the object is gone or was replaced since it was found damaged.
 */
export const quarantine = (
  ctx: StoreContext,
  id: string,
  found?: DamagedFile,
): string | undefined => {
  const path = objectPath(ctx.layout, id);
  const aside = `${ctx.layout.quarantine}/${id}-${uniqueName("q")}`;
  return ctx.session.locked(() => {
    // Never through a link: a shard directory that is a link out of the store, or a
    // link planted at the object's path, would have the rename take an outside file.
    const shard = lstatOrUndefined(path.slice(0, path.lastIndexOf("/")));
    const now = lstatOrUndefined(path);
    if (!shard?.isDirectory || !now?.isFile) return undefined;
    if (found && now.ino !== found.ino) return undefined;
    Deno.mkdirSync(ctx.layout.quarantine, { recursive: true });
    try {
      Deno.renameSync(path, aside);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    return aside;
  }, true);
};
