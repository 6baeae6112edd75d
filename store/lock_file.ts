/**
 * Lock files: create-exclusive, write, rename into place — Git's `.lock` protocol.
 *
 * A lock is a file `<target>.lock` created with O_EXCL. While held it names its
 * owner (`<pid>@<host>`); to commit, the holder replaces that with the new content
 * and renames the file over the target, which both publishes the content
 * atomically and releases the lock.
 *
 * A lock is broken (renamed away) when its owner is a process on this host that
 * no longer exists — a holder killed with SIGKILL costs nothing but a retry — or,
 * failing that, when it is older than `staleMs`. A holder whose lock was broken
 * finds its final rename failing and retries, so breaking a lock can cost a retry
 * but never a lost update.
 *
 * @module
 */
import { hostname } from "node:os";
import { LockBusy, storeError } from "./errors.ts";
import {
  isAlreadyExists,
  isNotFound,
  lstatOrUndefined,
  processIsAlive,
  sleepSync,
  timeMs,
  uniqueName,
  writeAll,
} from "./_fs.ts";

/** An acquired lock. */
export interface HeldLock {
  readonly path: string;
  readonly file: Deno.FsFile;
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

/** Creates `<target>.lock` exclusively, waiting with back-off while another process holds it. */
export const acquireLock = (target: string, options: LockOptions): HeldLock => {
  const path = `${target}.lock`;
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  const staleMs = options.staleMs ?? 30_000;
  let wait = 1;
  for (;;) {
    try {
      const file = Deno.openSync(path, { createNew: true, write: true, read: true });
      writeAll(file, encoder.encode(owner()));
      return { path, file };
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    const info = lstatOrUndefined(path);
    if (info && (Date.now() - timeMs(info.mtime) > staleMs || ownerIsDead(path))) {
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
 * Publishes `content` as `target`: replaces the owner line with it, fsyncs when
 * `durable`, and renames the lock into place. Throws `LockLost` when another
 * process broke the lock in the meantime.
 */
export const commitLock = (
  lock: HeldLock,
  target: string,
  content: Uint8Array,
  durable: boolean,
): void => {
  lock.file.truncateSync(0);
  lock.file.seekSync(0, Deno.SeekMode.Start);
  writeAll(lock.file, content);
  if (durable) lock.file.syncDataSync();
  lock.file.close();
  try {
    Deno.renameSync(lock.path, target);
  } catch (e) {
    if (isNotFound(e)) throw new LockLost(lock.path);
    throw e;
  }
};

/** Drops a lock without publishing it. */
export const releaseLock = (lock: HeldLock): void => {
  try {
    lock.file.close();
  } catch {
    // already closed by commitLock
  }
  try {
    Deno.removeSync(lock.path);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
};
