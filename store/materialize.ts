/**
 * Materializing an object into the file system: a blob becomes a file, a tree a
 * directory. Blobs are hard-linked from the store where possible (zero copy; the
 * file is then read-only, like the object it shares bytes with) and copied
 * otherwise — always executable entries, which need their own mode.
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
import { identify, readVerified, type StoreContext, streamBlob } from "./objects.ts";
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
  /** Hard-link blobs when possible (default true). */
  readonly link?: boolean;
  /** Re-hash every blob before linking it (default true; copies always verify). */
  readonly verify?: boolean;
}

/** What was written. */
export interface MaterializeResult {
  readonly kind: ObjectKind;
  readonly files: number;
  readonly linked: number;
  readonly bytes: number;
}

interface Counters {
  files: number;
  linked: number;
  bytes: number;
}

const writeBlob = (
  ctx: StoreContext,
  id: ObjectId,
  dest: string,
  executable: boolean,
  options: MaterializeOptions,
  counters: Counters,
): void => {
  if (!executable && options.link !== false) {
    if (options.verify !== false) streamBlob(ctx, id, () => {});
    try {
      Deno.linkSync(objectPath(ctx.layout, id), dest);
      const info = Deno.lstatSync(dest);
      if (info.isFile) {
        counters.files++;
        counters.linked++;
        counters.bytes += info.size;
        return;
      }
      // link() does not follow a symbolic link planted at the object's path: it
      // copied the link. Never hand one out; copy the verified bytes instead.
      Deno.removeSync(dest);
    } catch {
      // EXDEV, EPERM, EMLINK, a file system without hard links: copy instead.
    }
  }
  const file = Deno.openSync(dest, {
    createNew: true,
    write: true,
    mode: executable ? 0o755 : 0o644,
  });
  try {
    counters.bytes += streamBlob(ctx, id, (chunk) => writeAll(file, chunk));
  } finally {
    file.close();
  }
  counters.files++;
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
  const counters: Counters = { files: 0, linked: 0, bytes: 0 };
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
  return { kind, ...counters };
};
