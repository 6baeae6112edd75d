/**
 * Ingesting a directory as a tree, recursively: files become blobs, directories
 * become trees (a zarr store of many small chunks becomes one tree id).
 *
 * @module
 */
import { storeError, UnsafePath } from "./errors.ts";
import type { ObjectId } from "./object_id.ts";
import { putBytes, putFile, type StoreContext } from "./objects.ts";
import { encodeTree, type TreeEntry, unsafeNameReason } from "./tree.ts";

/** Totals of an ingest. */
export interface DirPutResult {
  /** The tree's id. */
  readonly id: ObjectId;
  /** Bytes of all files under the directory. */
  readonly size: number;
  /** Files ingested. */
  readonly files: number;
}

/**
 * Stores directory `path` as a tree. With `move`, files are renamed into the store
 * and the emptied directories removed (the caller gives the directory up; read-only
 * directories in it are made writable on the way down).
 * Symbolic links, devices and unsafe names are refused with `UnsafePath`.
 */
export const putDir = (ctx: StoreContext, path: string, move: boolean): DirPutResult => {
  // Moving files out needs write permission on their directory, which a read-only
  // (0555) subdirectory of a step's output denies its owner: the caller gives the
  // directory up, so it is made writable (a tree records no directory modes).
  if (move) {
    const mode = Deno.lstatSync(path).mode ?? 0o700;
    if ((mode & 0o700) !== 0o700) Deno.chmodSync(path, mode | 0o700);
  }
  const entries: TreeEntry[] = [];
  let size = 0;
  let files = 0;
  for (const entry of Deno.readDirSync(path)) {
    const child = `${path}/${entry.name}`;
    const reason = unsafeNameReason(entry.name);
    if (reason) throw storeError(new UnsafePath({ path: child, detail: reason }));
    if (entry.isSymlink) {
      throw storeError(
        new UnsafePath({
          path: child,
          detail: "symbolic links are not stored; copy the file it points to instead",
        }),
      );
    }
    if (entry.isDirectory) {
      const sub = putDir(ctx, child, move);
      entries.push({ name: entry.name, mode: "directory", id: sub.id });
      size += sub.size;
      files += sub.files;
    } else if (entry.isFile) {
      const put = putFile(ctx, child, move);
      entries.push({ name: entry.name, mode: put.executable ? "executable" : "file", id: put.id });
      size += put.size;
      files++;
    } else {
      throw storeError(
        new UnsafePath({ path: child, detail: "it is not a regular file or directory" }),
      );
    }
  }
  const { id } = putBytes(ctx, "tree", encodeTree(entries));
  if (move) Deno.removeSync(path, { recursive: true });
  return { id, size, files };
};
