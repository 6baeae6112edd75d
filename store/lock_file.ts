/**
 * Lock files: Git's `.lock` protocol, with an owner to ask after.
 *
 * A lock is a file `<target>.lock` that names its owner (`<pid>@<host>`) from the
 * moment it exists: it is written complete in `trashDir` and hard-linked into place,
 * which fails when the lock is taken. To commit, the holder writes the new content
 * to a temp file, checks that the lock is still the file it made, renames the
 * content over the target (atomic) and removes the lock. So there is no moment —
 * not while the lock is made, not while the content is fsynced — when a holder
 * killed with SIGKILL leaves a lock that does not name it.
 *
 * A lock is broken (renamed away) when its owner is a process on this host that
 * no longer exists — a killed holder costs nothing but a retry — or, failing that,
 * when it is older than `staleMs` on the file system's clock. A holder whose lock was broken finds it gone when
 * it commits, publishes nothing and retries.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { LockBusy, storeError } from "./errors.ts";
import {
  isAlreadyExists,
  isNotFound,
  lstatOrUndefined,
  processIsAlive,
  removeIfExists,
  sleepSync,
  timeMs,
  uniqueName,
  writeAll,
} from "./_fs.ts";

/** An acquired lock. */
export interface HeldLock {
  readonly path: string;
  /** The lock file's inode: the lock is still ours while `path` names it. */
  readonly ino: number | null;
  /** Where the commit writes its temp file (the lock's `trashDir`). */
  readonly tmpDir: string;
}

/** Options for {@linkcode acquireLock}. */
export interface LockOptions {
  /** Give up after this many milliseconds (default 10 s). */
  readonly timeoutMs?: number;
  /** A lock older than this is broken even if its owner looks alive (default 30 s). */
  readonly staleMs?: number;
  /** Where broken locks are moved before removal (a directory in the same file system). */
  readonly trashDir: string;
}

const encoder = new TextEncoder();
const owner = () => `${Deno.pid}@${hostname()}`;

// True when the lock names a process of this host that is gone.
const ownerIsDead = (path: string): boolean => {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return false;
  }
  const m = /^(\d+)@(.+)$/.exec(text.trim());
  if (!m || m[2] !== hostname() || Number(m[1]) === Deno.pid) return false;
  return !processIsAlive(Number(m[1]));
};

// Makes the lock file from `temp`, complete with its owner line; undefined when taken.
const create = (path: string, temp: string): { ino: number | null } | undefined => {
  // Written at every attempt: the lock's age (its mtime) starts when it is taken, and a
  // gc with no grace may take a temp file while we wait.
  // The inode is read from the open file before the link: once linked, a gc with no
  // grace may remove the temp name at any moment (the lock keeps the inode), and a stat
  // of it then would make us wait for our own lock.
  const file = Deno.openSync(temp, { write: true, create: true, truncate: true });
  let ino: number | null;
  try {
    writeAll(file, encoder.encode(owner()));
    ino = file.statSync().ino;
  } finally {
    file.close();
  }
  try {
    Deno.linkSync(temp, path);
    return { ino };
  } catch (e) {
    if (isAlreadyExists(e)) return undefined;
    if (isNotFound(e) && !lstatOrUndefined(temp)) return create(path, temp);
    if (!(e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotSupported)) {
      throw e;
    }
  }
  // A file system without hard links: create and write (unnamed for a moment).
  try {
    const file = Deno.openSync(path, { createNew: true, write: true });
    try {
      writeAll(file, encoder.encode(owner()));
      return { ino: file.statSync().ino };
    } finally {
      file.close();
    }
  } catch (e) {
    if (isAlreadyExists(e)) return undefined;
    throw e;
  }
};

/** Creates `<target>.lock` exclusively, waiting with back-off while another process holds it. */
export const acquireLock = (target: string, options: LockOptions): HeldLock => {
  const path = `${target}.lock`;
  const temp = `${options.trashDir}/${uniqueName("lock")}`;
  try {
    return acquire(path, temp, options);
  } finally {
    removeIfExists(temp);
  }
};

const acquire = (path: string, temp: string, options: LockOptions): HeldLock => {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  const staleMs = options.staleMs ?? 30_000;
  let wait = 1;
  for (;;) {
    const made = create(path, temp);
    if (made) return { path, ino: made.ino, tmpDir: options.trashDir };
    const info = lstatOrUndefined(path);
    // The lock's age on the file system's clock, which stamped it: "now" is the mtime
    // of the temp file just written (a process clock 30 s ahead broke every lock).
    const now = timeMs(lstatOrUndefined(temp)?.mtime ?? null) || Date.now();
    if (info && (now - timeMs(info.mtime) > staleMs || ownerIsDead(path))) {
      try {
        Deno.renameSync(path, `${options.trashDir}/${uniqueName("stale-lock")}`);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      continue;
    }
    if (Date.now() > deadline) throw storeError(new LockBusy({ path }));
    sleepSync(wait);
    wait = Math.min(wait * 2, 50);
  }
};

/** Thrown by {@linkcode commitLock} when the lock was broken while held. */
export class LockLost extends Error {}

/**
 * Publishes `content` as `target` and releases the lock: writes it to a temp file,
 * fsyncs when `durable`, and renames it over the target if the lock is still ours.
 * Throws `LockLost` (publishing nothing) when another process broke the lock in the
 * meantime.
 */
export const commitLock = (
  lock: HeldLock,
  target: string,
  content: Uint8Array,
  durable: boolean,
): void => {
  const temp = `${lock.tmpDir}/${uniqueName("commit")}`;
  try {
    const file = Deno.openSync(temp, { createNew: true, write: true });
    try {
      writeAll(file, content);
      if (durable) file.syncDataSync();
    } finally {
      file.close();
    }
    if (!isOurs(lock)) throw new LockLost(lock.path);
    try {
      Deno.renameSync(temp, target);
    } catch (e) {
      // A gc with no grace took the temp file: go round again.
      if (isNotFound(e) && !lstatOrUndefined(temp)) throw new LockLost(lock.path);
      throw e;
    }
  } finally {
    removeIfExists(temp);
  }
  releaseLock(lock);
};

/**
 * Drops a lock without publishing it — only if it is still ours: a lock broken while
 * we held it may now be another process's, and removing that would let a third one in
 * beside it.
 */
export const releaseLock = (lock: HeldLock): void => {
  if (isOurs(lock)) removeIfExists(lock.path);
};

/** True while `lock.path` is the lock file this holder made. */
export const isOurs = (lock: HeldLock): boolean => {
  const info = lstatOrUndefined(lock.path);
  if (info === undefined) return false;
  if (lock.ino !== null) return info.ino === lock.ino;
  // No inode numbers on this platform: the owner line is the best evidence left.
  try {
    return Deno.readTextFileSync(lock.path) === owner();
  } catch {
    return false;
  }
};

/**
 * Waits until nobody holds `<target>.lock`: returns at once when there is no lock;
 * breaks one whose owner is gone (or that is older than `staleMs`), as
 * {@linkcode acquireLock} would; throws `LockBusy` after `timeoutMs`. For writers
 * that do not take the lock but must not finish while its holder is half-way (an
 * index appender against a compaction).
 */
export const awaitRelease = (target: string, options: LockOptions): void => {
  const path = `${target}.lock`;
  if (!existsSync(path)) return;
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  const staleMs = options.staleMs ?? 30_000;
  const probe = `${options.trashDir}/${uniqueName("wait")}`;
  let wait = 1;
  try {
    for (;;) {
      const info = lstatOrUndefined(path);
      if (!info) return;
      // The lock's age on the file system's clock: a file just written tells "now".
      Deno.writeFileSync(probe, new Uint8Array());
      const now = timeMs(Deno.lstatSync(probe).mtime) || Date.now();
      if (now - timeMs(info.mtime) > staleMs || ownerIsDead(path)) {
        try {
          Deno.renameSync(path, `${options.trashDir}/${uniqueName("stale-lock")}`);
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
        return;
      }
      if (Date.now() > deadline) throw storeError(new LockBusy({ path }));
      sleepSync(wait);
      wait = Math.min(wait * 2, 50);
    }
  } finally {
    removeIfExists(probe);
  }
};
