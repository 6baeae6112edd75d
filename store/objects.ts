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
  ObjectNotFound,
  StoreError,
  storeError,
  UnsafePath,
} from "./errors.ts";
import { objectPath, type StoreLayout } from "./layout.ts";
import type { WriterSession } from "./session.ts";
import { existsSync } from "node:fs";
import { isNotFound, removeIfExists, uniqueName, writeAll } from "./_fs.ts";

/** What a store's internals share. */
export interface StoreContext {
  readonly layout: StoreLayout;
  readonly session: WriterSession;
  readonly durable: boolean;
  readonly fanout: Set<string>;
}

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

// Publish a complete temp file as object `id`, or refresh the existing object.
// Runs under the shared gc lock so gc cannot delete the object in between.
// `touch` refreshes the mtime of a moved-in file, which keeps the caller's old one.
const publish = (
  ctx: StoreContext,
  id: ObjectId,
  tmp: string | undefined,
  touch = false,
): boolean =>
  ctx.session.locked(() => {
    ctx.session.start();
    const path = objectPath(ctx.layout, id);
    const now = ctx.session.refreshTime();
    ensureFanout(ctx, id);
    // existsSync, not a throwing stat: Deno builds a NotFound error in ~30 µs, and
    // "not there yet" is the common case of a cold run. Under the shared gc lock an
    // object that exists now cannot vanish before the utime. A link planted at the
    // object's path is not the object: it is replaced below (rename does not follow
    // links), and its target is never touched.
    if (existsSync(path) && !Deno.lstatSync(path).isSymlink) {
      Deno.utimeSync(path, now, now);
      if (tmp) removeIfExists(tmp);
      return false;
    }
    if (!tmp) return true;
    try {
      Deno.renameSync(tmp, path);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      // The fan-out directory vanished (removed by hand); make it again.
      ctx.fanout.delete(id.slice(0, 2));
      ensureFanout(ctx, id);
      Deno.renameSync(tmp, path);
    }
    if (touch) Deno.utimeSync(path, now, now);
    return true;
  });

/** Result of a put. */
export interface PutResult {
  readonly id: ObjectId;
  readonly size: number;
  /** False when the object was already present. */
  readonly written: boolean;
}

/** Stores an in-memory payload. */
export const putBytes = (ctx: StoreContext, kind: ObjectKind, payload: Uint8Array): PutResult => {
  const id = hashObject(kind, payload);
  // Fast path: present already — refresh and return without writing.
  if (!publish(ctx, id, undefined)) return { id, size: payload.length, written: false };
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
    // Another process may have published the same id since the fast path looked.
    written = publish(ctx, id, tmp);
  } finally {
    // After publish the temp file is gone (renamed or removed); only failures leave it.
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
    // After publish the temp file is gone (renamed or removed); only failures leave it.
    if (published === undefined) removeIfExists(tmp);
  }
};

/** Reads a whole object and checks that it hashes to `id` as `kind`. */
export const readVerified = (ctx: StoreContext, id: ObjectId, kind: ObjectKind): Uint8Array => {
  const path = objectPath(ctx.layout, id);
  let payload: Uint8Array;
  try {
    payload = Deno.readFileSync(path);
  } catch (e) {
    if (isNotFound(e)) throw storeError(new ObjectNotFound({ id }));
    throw e;
  }
  const actual = hashObject(kind, payload);
  if (actual !== id) throw storeError(new IntegrityMismatch({ id, actual, path }));
  return payload;
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
  try {
    const size = file.statSync().size;
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
    const actual = seen === size ? hasher.digest("hex") : "(size changed while reading)";
    if (actual !== id) throw storeError(new IntegrityMismatch({ id, actual, path }));
    return size;
  } finally {
    file.close();
  }
};

/**
 * Which kind object `id` is, proven by hashing: every kind whose framing could fit
 * the payload's first bytes is hashed in one pass, and the one matching `id` wins.
 * Throws `IntegrityMismatch` when none matches (the object is damaged).
 */
export const identify = (ctx: StoreContext, id: ObjectId): ObjectKind =>
  identifyAt(objectPath(ctx.layout, id), id);

const identifyAt = (path: string, id: ObjectId): ObjectKind => {
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
    if (i < 0) throw storeError(new IntegrityMismatch({ id, actual: digests[0]!, path }));
    return kinds[i]!;
  } finally {
    file.close();
  }
};

/**
 * Takes a damaged copy of object `id` out of the store, so that the next put of the
 * right bytes writes it afresh. Without this a damaged object could never be repaired
 * by re-running its step: a put of an id already present only refreshes its mtime.
 * The file is renamed aside first (atomic, so it is exactly the copy that is judged),
 * re-hashed there, and put back if it is intact after all. Returns true when a damaged
 * copy was removed; an intact or missing object is left as it is.
 */
export const removeDamaged = (ctx: StoreContext, id: ObjectId): boolean => {
  const aside = `${ctx.layout.tmp}/${uniqueName("damaged")}`;
  try {
    // Under the shared lock, like every write: gc never finds an object vanish mid-sweep.
    // The copy aside gets a fresh mtime, after this session's start: with the object's
    // old one, a gc could sweep it from tmp/ while it is re-hashed (and lose it if intact).
    ctx.session.locked(() => {
      ctx.session.start();
      Deno.renameSync(objectPath(ctx.layout, id), aside);
      const now = ctx.session.refreshTime();
      Deno.utimeSync(aside, now, now);
    });
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
  try {
    identifyAt(aside, id);
  } catch (e) {
    if (e instanceof StoreError && e.reason._tag === "IntegrityMismatch") {
      removeIfExists(aside);
      return true;
    }
    publish(ctx, id, aside, true);
    throw e;
  }
  publish(ctx, id, aside, true);
  return false;
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
