import process from "node:process";
// Small synchronous file-system and process helpers shared by the store's internals.
// The store's hot paths are synchronous on purpose: a put is a handful of
// syscalls, and Deno's sync ops cost a few microseconds where a promise round
// trip costs tens.

export const isNotFound = (e: unknown): boolean => e instanceof Deno.errors.NotFound;
export const isAlreadyExists = (e: unknown): boolean => e instanceof Deno.errors.AlreadyExists;
/** ENOSPC: the file system is full. */
export const isNoSpace = (e: unknown): boolean =>
  e instanceof Error && (e as { code?: string }).code === "ENOSPC";

/** Stat that returns undefined for a missing path instead of throwing. */
export const lstatOrUndefined = (path: string): Deno.FileInfo | undefined => {
  try {
    return Deno.lstatSync(path);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
};

/** Removes a file, ignoring one that is already gone. */
export const removeIfExists = (path: string): void => {
  try {
    Deno.removeSync(path);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
};

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for `ms` milliseconds (lock back-off in synchronous code). */
export const sleepSync = (ms: number): void => {
  Atomics.wait(sleeper, 0, 0, ms);
};

let counter = 0;
const processTag = `${Deno.pid}-${Math.random().toString(36).slice(2, 8)}`;

/** A name unique within this store for temporary files. */
export const uniqueName = (prefix: string): string =>
  `${prefix}-${processTag}-${(counter++).toString(36)}`;

/** Writes all of `bytes` to `file`. */
export const writeAll = (file: Deno.FsFile, bytes: Uint8Array): void => {
  let offset = 0;
  while (offset < bytes.length) offset += file.writeSync(bytes.subarray(offset));
};

/** Milliseconds of a file time, or 0 when the platform gives none. */
export const timeMs = (d: Date | null): number => (d ? d.getTime() : 0);

/** The entries of a directory, or none when it does not exist. */
export const readDirOrEmpty = (path: string): Deno.DirEntry[] => {
  try {
    return [...Deno.readDirSync(path)];
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
};

/** True while process `pid` of this host exists (signal 0 asks, sends nothing). */
export const processIsAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
};
