/**
 * Lock files: create-exclusive, write, rename into place — Git's `.lock` protocol.
 *
 * A lock is a file `<target>.lock` created with O_EXCL. The holder writes the new
 * content into it and renames it over the target, which both publishes the
 * content atomically and releases the lock. A lock untouched for `staleMs` is
 * taken to belong to a dead process and is broken by renaming it away: a holder
 * whose lock was broken finds its final rename failing and retries, so breaking a
 * lock can cost a retry but never a lost update.
 *
 * @module
 */
import { LockBusy, storeError } from "./errors.ts";
import {
  isAlreadyExists,
  isNotFound,
  lstatOrUndefined,
  sleepSync,
  timeMs,
  uniqueName,
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
  /** A lock older than this is broken (default 30 s; a holder keeps it for microseconds). */
  readonly staleMs?: number;
  /** Where broken locks are moved before removal (a directory in the same file system). */
  readonly trashDir: string;
}

/** Creates `<target>.lock` exclusively, waiting with back-off while another process holds it. */
export const acquireLock = (target: string, options: LockOptions): HeldLock => {
  const path = `${target}.lock`;
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  const staleMs = options.staleMs ?? 30_000;
  let wait = 1;
  for (;;) {
    try {
      return { path, file: Deno.openSync(path, { createNew: true, write: true }) };
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    const info = lstatOrUndefined(path);
    if (info && Date.now() - timeMs(info.mtime) > staleMs) {
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
 * Publishes the lock's content as `target` (fsync, close, rename). Throws
 * `LockLost` when another process broke the lock in the meantime.
 */
export const commitLock = (lock: HeldLock, target: string, durable: boolean): void => {
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
