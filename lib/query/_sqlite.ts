// Opening the query index's SQLite file, and what its errors mean: shared by the
// index (query_index.ts) and the object facts gc and fsck keep in it.
import { DatabaseSync } from "node:sqlite";
import * as Schedule from "effect/Schedule";

// SQLite's result codes that matter here.
/** SQLITE_BUSY: another connection holds the lock. */
export const BUSY = 5;
/** SQLITE_LOCKED. */
export const LOCKED = 6;
/** SQLITE_CORRUPT. */
export const CORRUPT = 11;
/** SQLITE_NOTADB: not a database file. */
export const NOTADB = 26;

/** The primary result code of a SQLite error. */
export const sqliteCode = (e: unknown): number | undefined => {
  const code = (e as { errcode?: unknown } | null)?.errcode;
  return typeof code === "number" ? code & 0xff : undefined;
};

/** The write lock is held by another process: try again. */
export class Busy {
  readonly _tag = "Busy";
}

/** How long to wait between tries of a write transaction. */
export const LOCK_WAIT = Schedule.min([
  Schedule.exponential("2 millis"),
  Schedule.spaced("50 millis"),
]);

const CACHE_KIB = 256 << 10;
const MMAP_BYTES = 1 << 30;

/** Opens (or creates) the file with the index's settings: WAL, a short busy timeout, a large page cache. */
export const openDb = (path: string): DatabaseSync => {
  const db = new DatabaseSync(path);
  // A reader never waits long inside SQLite (which would block the event loop);
  // the writer's transaction is retried asleep in the Effect runtime instead.
  db.exec("PRAGMA busy_timeout = 100");
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  // A statement's undo journal in memory: a catch-up's multi-row inserts wrote one to a
  // temporary file, as many pages again as the transaction changed.
  db.exec("PRAGMA temp_store = MEMORY");
  // Pages read in place from a mapping of the file, not copied in by a read call each
  // (a walk over every run reads tens of thousands of pages); past this size, read calls.
  db.exec(`PRAGMA mmap_size = ${MMAP_BYTES}`);
  // Pages are cached up to this much (allocated as used, so a bounded query that reads a
  // few pages stays small): a rebuild inserts at random into B-trees far larger than
  // SQLite's default 2 MB cache, which made it read and write each page many times.
  db.exec(`PRAGMA cache_size = -${CACHE_KIB}`);
  return db;
};

/** Removes the file and its WAL and shared-memory files. */
export const removeDb = (path: string): void => {
  for (const suffix of ["", "-wal", "-shm"]) {
    try {
      Deno.removeSync(path + suffix);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
};

/** Closes `db`, if it is still open. */
export const closeQuietly = (db: DatabaseSync): void => {
  try {
    db.close();
  } catch {
    // Closed already.
  }
};
