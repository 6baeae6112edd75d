/**
 * Writing and reading objects on disk.
 *
 * Writes stream into `tmp/` while hashing, then rename into `objects/`; a rename
 * onto an existing id is harmless because identical ids mean identical bytes,
 * and a put of bytes already present only refreshes the object's mtime (so gc's
 * grace period and live sessions cover it). The temp file is removed on every
 * path. Objects are created read-only (0444).
 *
 * fsync policy: object files are not fsynced by default. Rename-after-write means
 * a crashed *process* never leaves a partial object visible; after a crash of the
 * *machine* a recent object may be empty or short, which every read detects
 * (`IntegrityMismatch`) and fsck reports, and which a pipeline treats as a cache
 * miss. Refs — the roots — are fsynced. `durable: true` (or `CAIRN_FSYNC=1`)
 * fsyncs objects too, at about a millisecond per write.
 *
 * @module
 */
import { createObjectHasher, hashObject, type ObjectId, type ObjectKind } from "./object_id.ts";
import {
  IntegrityMismatch,
  InvalidInput,
  InvalidObject,
  ObjectNotFound,
  storeError,
  UnsafePath,
} from "./errors.ts";
import { objectPath } from "./layout.ts";
import { existsSync } from "node:fs";
import { isNotFound, lstatOrUndefined, removeIfExists, uniqueName, writeAll } from "./_fs.ts";
import { quarantine } from "./quarantine.ts";

import type { StoreContext } from "./context.ts";

export type { StoreContext };

/** Size of the buffer used to stream files. */
export const CHUNK = 1 << 20;

// A buffer no larger than the file: zero-filling 1 MiB per small file would cost
// more than reading it.
const bufferSize = (size: number): number => Math.min(CHUNK, Math.max(size, 4096));

const ensureFanout = (ctx: StoreContext, id: ObjectId): void => {
  const dir = id.slice(0, 2);
  if (ctx.fanout.has(dir)) return;
  const path = `${ctx.layout.objects}/${dir}`;
  Deno.mkdirSync(path, { recursive: true });
  // mkdir succeeds on a link to a directory elsewhere; writing through it would put
  // objects outside the store. Checked once per directory per process.
  if (!Deno.lstatSync(path).isDirectory) {
    throw storeError(
      new UnsafePath({
        path,
        detail:
          "it is a symbolic link, and the store does not write through links; remove it (fsck reports what it held)",
      }),
    );
  }
  ctx.fanout.add(dir);
};

// Publish a complete temp file as object `id`. Runs under the shared gc lock so gc
// cannot delete the object in between. The temp file's bytes are verified (hashed as
// they were written), so it replaces whatever is at the object's path: an intact copy
// loses nothing, and a damaged one is repaired. `touch` refreshes the mtime of a
// moved-in file, which keeps the caller's old one. Returns false when an object was
// already there.
const publish = (ctx: StoreContext, id: ObjectId, tmp: string, touch = false): boolean =>
  ctx.session.locked(() => {
    ctx.session.start();
    const path = objectPath(ctx.layout, id);
    ensureFanout(ctx, id);
    // existsSync, not a throwing stat: Deno builds a NotFound error in ~30 µs, and
    // "not there yet" is the common case of a cold run. A link planted at the object's
    // path is replaced too (rename does not follow links; its target is never touched).
    const existed = existsSync(path);
    try {
      Deno.renameSync(tmp, path);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      // The fan-out directory vanished (removed by hand); make it again.
      ctx.fanout.delete(id.slice(0, 2));
      ensureFanout(ctx, id);
      Deno.renameSync(tmp, path);
    }
    if (touch) {
      const now = ctx.session.refreshTime();
      Deno.utimeSync(path, now, now);
    }
    return !existed;
  });

// Under the shared gc lock: when object `id` is present with exactly `payload`, refresh
// its mtime (so gc's grace period and live sessions cover it) and say so. A present
// object with other bytes is damaged: the caller writes it afresh.
const refreshIfIntact = (ctx: StoreContext, id: ObjectId, payload: Uint8Array): boolean =>
  ctx.session.locked(() => {
    ctx.session.start();
    const path = objectPath(ctx.layout, id);
    // lstat, not a stat: a link planted at the object's path is not the object (it is
    // replaced, and the file it points to is never read or touched).
    const at = existsSync(path) ? lstatOrUndefined(path) : undefined;
    if (!at?.isFile || at.size !== payload.length) return false;
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, { read: true });
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
    try {
      const info = file.statSync();
      if (info.ino !== at.ino || info.size !== payload.length) return false;
      const existing = new Uint8Array(payload.length);
      let offset = 0;
      while (offset < existing.length) {
        const n = file.readSync(existing.subarray(offset));
        if (n === null) return false;
        offset += n;
      }
      if (!equalBytes(existing, payload)) return false;
    } finally {
      file.close();
    }
    const now = ctx.session.refreshTime();
    Deno.utimeSync(path, now, now);
    return true;
  });

const equalBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

/** Result of a put. */
export interface PutResult {
  /** The object's id. */
  readonly id: ObjectId;
  /** Its payload's size in bytes. */
  readonly size: number;
  /** False when the object was already present. */
  readonly written: boolean;
}

/** Stores an in-memory payload; a damaged copy of the same id is replaced. */
export const putBytes = (ctx: StoreContext, kind: ObjectKind, payload: Uint8Array): PutResult => {
  const id = hashObject(kind, payload);
  // Fast path: present and intact already — refresh and return without writing.
  if (refreshIfIntact(ctx, id, payload)) return { id, size: payload.length, written: false };
  const tmp = `${ctx.layout.tmp}/${uniqueName("obj")}`;
  let written: boolean | undefined;
  try {
    const file = Deno.openSync(tmp, { createNew: true, write: true, mode: 0o444 });
    try {
      writeAll(file, payload);
      if (ctx.durable) file.syncDataSync();
    } finally {
      file.close();
    }
    written = publish(ctx, id, tmp);
  } finally {
    // After publish the temp file is gone (renamed); only failures leave it.
    if (written === undefined) removeIfExists(tmp);
  }
  return { id, size: payload.length, written: written! };
};

const changedWhileRead = (path: string) =>
  storeError(
    new InvalidInput({
      what: `file "${path}"`,
      detail: "it changed size while it was read; let whatever writes it finish, then try again",
    }),
  );

/** Hashes a whole file as a blob without storing it (streaming, constant memory). */
export const hashFile = (path: string): { id: ObjectId; size: number } => {
  const file = Deno.openSync(path, { read: true });
  try {
    const size = file.statSync().size;
    const hasher = createObjectHasher("blob", size);
    const buf = new Uint8Array(bufferSize(size));
    let seen = 0;
    for (;;) {
      const n = file.readSync(buf);
      if (n === null) break;
      hasher.update(buf.subarray(0, n));
      seen += n;
    }
    if (seen !== size) throw changedWhileRead(path);
    return { id: hasher.digest("hex"), size };
  } finally {
    file.close();
  }
};

/** Result of ingesting a file. */
export interface FilePutResult extends PutResult {
  /** Whether the file was executable. */
  readonly executable: boolean;
}

/**
 * Stores a file as a blob. With `move`, the file (which the caller gives up) is
 * renamed into the store instead of copied when it is on the same file system.
 */
export const putFile = (ctx: StoreContext, path: string, move: boolean): FilePutResult => {
  const info = Deno.lstatSync(path);
  if (!info.isFile) {
    throw storeError(
      new UnsafePath({
        path,
        detail: "it is not a regular file (symbolic links and devices are not stored)",
      }),
    );
  }
  const executable = ((info.mode ?? 0) & 0o111) !== 0;
  if (move) {
    const { id, size } = hashFile(path);
    Deno.chmodSync(path, 0o444);
    try {
      const written = publish(ctx, id, path, true);
      return { id, size, written, executable };
    } catch (e) {
      // EXDEV: not the same file system; fall through to a copy.
      if (!(e instanceof Error && /EXDEV|cross-device/i.test(e.message))) throw e;
      Deno.chmodSync(path, info.mode ?? 0o644);
    }
  }
  ctx.session.begin();
  const tmp = `${ctx.layout.tmp}/${uniqueName("obj")}`;
  let published: boolean | undefined;
  try {
    const source = Deno.openSync(path, { read: true });
    const target = Deno.openSync(tmp, { createNew: true, write: true, mode: 0o444 });
    let id: ObjectId;
    let size: number;
    try {
      size = source.statSync().size;
      const hasher = createObjectHasher("blob", size);
      const buf = new Uint8Array(bufferSize(size));
      let seen = 0;
      for (;;) {
        const n = source.readSync(buf);
        if (n === null) break;
        const chunk = buf.subarray(0, n);
        hasher.update(chunk);
        writeAll(target, chunk);
        seen += n;
      }
      if (seen !== size) throw changedWhileRead(path);
      if (ctx.durable) target.syncDataSync();
      id = hasher.digest("hex");
    } finally {
      source.close();
      target.close();
    }
    published = publish(ctx, id, tmp);
    return { id, size, written: published, executable };
  } finally {
    // After publish the temp file is gone (renamed); only failures leave it.
    if (published === undefined) removeIfExists(tmp);
  }
};

/**
 * Reads a whole object and checks that it hashes to `id` as `kind`. A damaged object
 * is set aside (see `quarantine.ts`) before `IntegrityMismatch` is thrown; an intact
 * object of another kind fails with `InvalidObject` and is left alone.
 */
export const readVerified = (ctx: StoreContext, id: ObjectId, kind: ObjectKind): Uint8Array => {
  let payload: Uint8Array;
  try {
    payload = Deno.readFileSync(objectPath(ctx.layout, id));
  } catch (e) {
    if (isNotFound(e)) throw storeError(new ObjectNotFound({ id }));
    throw e;
  }
  const actual = hashObject(kind, payload);
  if (actual !== id) throw damaged(ctx, id, actual, kind);
  return payload;
};

// Which kind the file at a path proves for `id`, if any.
const kindAt = (id: ObjectId) => (path: string): ObjectKind | undefined => {
  const outcome = identifyAt(path, id);
  return "kind" in outcome ? outcome.kind : undefined;
};

// The error for an object whose bytes did not hash to its id as `wanted`: re-checked
// under the exclusive lock, set aside when damaged, or reported as the kind it is.
const damaged = (ctx: StoreContext, id: ObjectId, actual: string, wanted?: ObjectKind) => {
  const path = objectPath(ctx.layout, id);
  const found = quarantine(ctx, id, kindAt(id), { keepRecords: true });
  if ("intact" in found && wanted && found.intact !== wanted) {
    return storeError(
      new InvalidObject({ id, detail: `it is a ${found.intact}, not a ${wanted}` }),
    );
  }
  return storeError(
    new IntegrityMismatch({
      id,
      actual,
      path,
      ...("setAside" in found ? { setAside: found.setAside } : {}),
    }),
  );
};

/** True when object `id` is present (not verified). */
export const hasObject = (ctx: StoreContext, id: ObjectId): boolean =>
  existsSync(objectPath(ctx.layout, id));

/**
 * Streams blob `id` in chunks to `sink`, hashing as it goes; throws
 * `IntegrityMismatch` at the end when the bytes changed. Callers that publish what
 * `sink` received must do so only after this returns.
 */
export const streamBlob = (
  ctx: StoreContext,
  id: ObjectId,
  sink: (chunk: Uint8Array) => void,
): number => {
  const path = objectPath(ctx.layout, id);
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (e) {
    if (isNotFound(e)) throw storeError(new ObjectNotFound({ id }));
    throw e;
  }
  let actual: string;
  let size: number;
  try {
    size = file.statSync().size;
    const hasher = createObjectHasher("blob", size);
    const buf = new Uint8Array(bufferSize(size));
    let seen = 0;
    for (;;) {
      const n = file.readSync(buf);
      if (n === null) break;
      const chunk = buf.subarray(0, n);
      hasher.update(chunk);
      sink(chunk);
      seen += n;
    }
    actual = seen === size ? hasher.digest("hex") : "(size changed while reading)";
  } finally {
    file.close();
  }
  if (actual !== id) throw damaged(ctx, id, actual, "blob");
  return size;
};

/**
 * Which kind object `id` is, proven by hashing: every kind whose framing could fit
 * the payload's first bytes is hashed in one pass, and the one matching `id` wins.
 * Throws `IntegrityMismatch` when none matches (the object is damaged).
 */
export const identify = (ctx: StoreContext, id: ObjectId): ObjectKind => {
  const found = identifyAt(objectPath(ctx.layout, id), id);
  if ("kind" in found) return found.kind;
  throw damaged(ctx, id, found.actual);
};

const identifyAt = (
  path: string,
  id: ObjectId,
): { kind: ObjectKind } | { actual: string } => {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (e) {
    if (isNotFound(e)) throw storeError(new ObjectNotFound({ id }));
    throw e;
  }
  try {
    const size = file.statSync().size;
    const buf = new Uint8Array(bufferSize(size));
    let n = file.readSync(buf) ?? 0;
    const kinds = candidateKinds(buf.subarray(0, n));
    const hashers = kinds.map((kind) => createObjectHasher(kind, size));
    while (n > 0) {
      for (const h of hashers) h.update(buf.subarray(0, n));
      n = file.readSync(buf) ?? 0;
    }
    const digests = hashers.map((h) => h.digest("hex"));
    const i = digests.indexOf(id);
    if (i < 0) return { actual: digests[0]! };
    return { kind: kinds[i]! };
  } finally {
    file.close();
  }
};

/**
 * Sets object `id` aside if its bytes are damaged (whatever its kind), so that the next
 * put of the right bytes writes it afresh. Returns true when a damaged copy was set
 * aside; an intact or missing object is left as it is.
 */
export const removeDamaged = (ctx: StoreContext, id: ObjectId): boolean => {
  if (!hasObject(ctx, id)) return false;
  return "setAside" in quarantine(ctx, id, kindAt(id), { keepRecords: false });
};

const TREE_PREFIX = /^(100644|100755|40000) /;

/** The kinds an object starting with `head` could be: always blob, maybe tree or record. */
export const candidateKinds = (head: Uint8Array): ObjectKind[] => {
  const kinds: ObjectKind[] = ["blob"];
  const text = new TextDecoder().decode(head.subarray(0, 8));
  if (head.length === 0 || TREE_PREFIX.test(text)) kinds.push("tree");
  if (head[0] === 0x7b) kinds.push("record");
  return kinds;
};
