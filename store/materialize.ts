/**
 * Materializing an object into the file system: a blob becomes a file, a tree a
 * directory. Blobs are copied by default — by the kernel's copy, which is a reflink
 * (shared extents, copy-on-write) on file systems that have them (Btrfs, XFS, APFS)
 * and a byte copy elsewhere — and each copy is verified against its id. Nothing
 * written to a copy can reach the store.
 *
 * `link: "hardlink"` links blobs instead (zero copy). A hard link *is* the store's
 * object: mode 0444 does not stop root or a tool that chmods, so a write through it
 * damages the object for every later reader. Ask for it only where the reader is
 * known not to write (and see `linkedFiles` for checking afterwards). Executable
 * entries are always copied: they need their own mode.
 *
 * Nothing half-written becomes visible: the result is built under a temporary
 * sibling of `dest` and renamed to `dest` when complete. Nothing is written
 * outside `dest`: tree entry names are validated when decoded (no `/`, `..`, NUL),
 * and every path is built by joining validated names onto the new directory.
 *
 * @module
 */
import { DestinationExists, storeError } from "./errors.ts";
import { objectPath } from "./layout.ts";
import { hashFile, identify, readVerified, type StoreContext, streamBlob } from "./objects.ts";
import type { ObjectId, ObjectKind } from "./object_id.ts";
import { decodeTree } from "./tree_decoder.ts";
import { removeDeadStaging, stagingPath } from "./staging.ts";
import { lstatOrUndefined, removeIfExists, writeAll } from "./_fs.ts";

/** Options for {@linkcode materialize}. */
export interface MaterializeOptions {
  /** The object's kind when the caller knows it (saves identifying it). */
  readonly kind?: ObjectKind;
  /** Replace an existing `dest` (default: refuse with `DestinationExists`). */
  readonly overwrite?: boolean;
  /** `copy` (default: a reflink where the file system can) or `hardlink` (zero copy). */
  readonly link?: "copy" | "hardlink";
  /** Re-hash every blob before linking it (default true; copies always verify). */
  readonly verify?: boolean;
  /**
   * Called, once `dest` is in place, for every hard-linked file with its path under
   * `dest`, its object id and its stat (to check it later).
   */
  readonly onLink?: (path: string, id: ObjectId, info: Deno.FileInfo) => void;
}

/** What was written. */
export interface MaterializeResult {
  /** What was written: a blob, a tree or a record. */
  readonly kind: ObjectKind;
  /** Files written. */
  readonly files: number;
  /** Of them, hard-linked to the store's objects. */
  readonly linked: number;
  /** Bytes written. */
  readonly bytes: number;
}

interface Counters {
  files: number;
  linked: number;
  bytes: number;
  /** Hard links made: path under the staging directory, object id, stat. */
  readonly links: [string, ObjectId, Deno.FileInfo][];
}

const writeBlob = (
  ctx: StoreContext,
  id: ObjectId,
  dest: string,
  executable: boolean,
  options: MaterializeOptions,
  counters: Counters,
): void => {
  if (!executable && options.link === "hardlink") {
    if (options.verify !== false) streamBlob(ctx, id, () => {});
    try {
      Deno.linkSync(objectPath(ctx.layout, id), dest);
      const info = Deno.lstatSync(dest);
      if (info.isFile) {
        counters.files++;
        counters.linked++;
        counters.bytes += info.size;
        counters.links.push([dest, id, info]);
        return;
      }
      // link() does not follow a symbolic link planted at the object's path: it
      // copied the link. Never hand one out; copy the verified bytes instead.
      Deno.removeSync(dest);
    } catch {
      // EXDEV, EPERM, EMLINK, a file system without hard links: copy instead.
    }
  }
  copyBlob(ctx, id, dest, executable);
  counters.files++;
  counters.bytes += Deno.lstatSync(dest).size;
};

// The kernel's copy (copy_file_range, which clones where the file system can), then
// the copy is hashed: the bytes handed out are the ones checked, and a damaged object
// is set aside. A planted link or a special file at the object's path is not copied.
const copyBlob = (ctx: StoreContext, id: ObjectId, dest: string, executable: boolean): void => {
  const source = objectPath(ctx.layout, id);
  const info = lstatOrUndefined(source);
  if (info?.isFile) {
    Deno.copyFileSync(source, dest);
    Deno.chmodSync(dest, executable ? 0o755 : 0o644);
    const found = hashFile(dest);
    if (found.id === id) return;
    Deno.removeSync(dest);
  }
  // Missing, not a plain file, or damaged: the verified stream says which, and throws.
  const file = Deno.openSync(dest, {
    createNew: true,
    write: true,
    mode: executable ? 0o755 : 0o644,
  });
  try {
    streamBlob(ctx, id, (chunk) => writeAll(file, chunk));
  } finally {
    file.close();
  }
};

const writeTree = (
  ctx: StoreContext,
  id: ObjectId,
  dest: string,
  options: MaterializeOptions,
  counters: Counters,
): void => {
  const entries = decodeTree(readVerified(ctx, id, "tree"), id);
  Deno.mkdirSync(dest, { mode: 0o755 });
  for (const entry of entries) {
    const child = `${dest}/${entry.name}`;
    if (entry.mode === "directory") writeTree(ctx, entry.id, child, options, counters);
    else writeBlob(ctx, entry.id, child, entry.mode === "executable", options, counters);
  }
};

// A record materializes as its canonical JSON text.
const writeRecord = (ctx: StoreContext, id: ObjectId, dest: string, counters: Counters): void => {
  const payload = readVerified(ctx, id, "record");
  Deno.writeFileSync(dest, payload, { createNew: true, mode: 0o644 });
  counters.files++;
  counters.bytes += payload.length;
};

/** Writes object `id` to `dest` (a file for a blob or record, a directory for a tree). */
export const materialize = (
  ctx: StoreContext,
  id: ObjectId,
  dest: string,
  options: MaterializeOptions = {},
): MaterializeResult => {
  const kind = options.kind ?? identify(ctx, id);
  const existing = lstatOrUndefined(dest);
  if (existing && !options.overwrite) throw storeError(new DestinationExists({ path: dest }));
  const slash = dest.lastIndexOf("/");
  const parent = slash > 0 ? dest.slice(0, slash) : slash === 0 ? "/" : ".";
  Deno.mkdirSync(parent, { recursive: true });
  removeDeadStaging(parent);
  const staging = stagingPath(parent);
  const counters: Counters = { files: 0, linked: 0, bytes: 0, links: [] };
  try {
    if (kind === "tree") writeTree(ctx, id, staging, options, counters);
    else if (kind === "blob") writeBlob(ctx, id, staging, false, options, counters);
    else writeRecord(ctx, id, staging, counters);
    if (existing) Deno.removeSync(dest, { recursive: true });
    Deno.renameSync(staging, dest);
  } catch (e) {
    if (lstatOrUndefined(staging)) Deno.removeSync(staging, { recursive: true });
    throw e;
  }
  removeIfExists(staging);
  for (const [path, linked, info] of counters.links) {
    options.onLink?.(dest + path.slice(staging.length), linked, info);
  }
  return { kind, files: counters.files, linked: counters.linked, bytes: counters.bytes };
};
