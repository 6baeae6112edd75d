/**
 * A writer session: how a process that is writing keeps gc away from what it has
 * not yet referenced, and the lock that orders writers against gc.
 *
 * - On its first write a process creates `tmp/sessions/<host>-<pid>-<tag>` whose
 *   first line is its start time. gc never sweeps an object whose mtime is at or
 *   after the start of a live session: everything a running pipeline writes, or
 *   finds already present (a put of existing bytes refreshes the object's mtime),
 *   is safe until the process ends.
 * - Every time that is compared with a file's mtime is the file system's own clock,
 *   never the process's (which may be seconds off it: NFS, containers, VMs). The
 *   start time is the new session file's mtime; {@linkcode WriterSession.fsNow}
 *   reads the file system's "now" from `gc.lock` (see there); a refreshed object's
 *   mtime is never set before the session's start.
 * - `protect(ids)` appends ids to the session file: temporary roots for objects the
 *   process resolved without writing them (a cache hit's run record), whose whole
 *   closure gc then keeps.
 * - Every write and protect runs its few syscalls under a shared `flock` of
 *   `gc.lock`; gc holds it exclusively while it marks and sweeps. So gc sees a
 *   consistent set of sessions, roots and objects, and a writer never "finds" an
 *   object that gc is about to delete.
 *
 * A session file of a dead process on this host is removed by gc.
 *
 * @module
 */
import { hostname } from "node:os";
import type { StoreLayout } from "./layout.ts";
import { isNotFound, processIsAlive, timeMs, uniqueName, writeAll } from "./_fs.ts";

const encoder = new TextEncoder();

/**
 * Thrown by {@linkcode WriterSession.locked} in a non-blocking session when another
 * process holds `gc.lock` the other way: the caller (the Effect service) waits, without
 * blocking the event loop, and tries again.
 */
export class WouldBlock extends Error {
  constructor() {
    super("gc.lock is held by another process");
  }
}

/** The lock and temporary roots of one process's use of one store. */
export class WriterSession {
  #layout: StoreLayout;
  #lockFile: Deno.FsFile | undefined;
  #rootsFile: Deno.FsFile | undefined;
  #rootsPath: string | undefined;
  #startMs = 0;
  readonly #blocking: boolean;
  #held: "shared" | "exclusive" | undefined;

  /**
   * `blocking: false` (the Effect service): a lock another process holds makes
   * {@linkcode locked} throw {@linkcode WouldBlock} instead of waiting in the thread,
   * so Ctrl-C keeps working while gc runs elsewhere. Synchronous tools block.
   */
  constructor(layout: StoreLayout, options: { readonly blocking?: boolean } = {}) {
    this.#layout = layout;
    this.#blocking = options.blocking ?? true;
  }

  #lock(): Deno.FsFile {
    this.#lockFile ??= Deno.openSync(this.#layout.gcLock, {
      read: true,
      write: true,
      create: true,
    });
    return this.#lockFile;
  }

  /**
   * Runs `f` holding `gc.lock` shared (exclusive for gc). `f` must be synchronous.
   * Re-entrant: inside a hold of the same or a stronger kind, `f` just runs.
   */
  locked<A>(f: () => A, exclusive = false): A {
    if (this.#held === "exclusive" || (this.#held === "shared" && !exclusive)) return f();
    // flock converts a shared lock to an exclusive one by dropping it first: never done.
    if (this.#held === "shared") throw new Error("gc.lock is held shared: cannot upgrade");
    const file = this.#lock();
    this.#take(file, exclusive);
    this.#held = exclusive ? "exclusive" : "shared";
    try {
      return f();
    } finally {
      file.unlockSync();
      this.#held = undefined;
    }
  }

  #take(file: Deno.FsFile, exclusive: boolean): void {
    if (this.#blocking) file.lockSync(exclusive);
    else if (!file.tryLockSync(exclusive)) throw new WouldBlock();
  }

  /**
   * Takes `gc.lock` for a longer operation (a whole directory ingest, a gc), throwing
   * {@linkcode WouldBlock} when another process holds it; {@linkcode release} ends it.
   */
  hold(exclusive: boolean): void {
    if (this.#held !== undefined) throw new Error("gc.lock is held already by this session");
    this.#take(this.#lock(), exclusive);
    this.#held = exclusive ? "exclusive" : "shared";
  }

  /** Ends a {@linkcode hold}. */
  release(): void {
    if (this.#held === undefined) return;
    this.#lockFile?.unlockSync();
    this.#held = undefined;
  }

  /**
   * The file system's current time (ms), as the mtime of `gc.lock` just changed:
   * growing it by a byte and truncating it back (its content is never read) makes
   * the file system stamp it — the server, on NFS — and needs no free space, so gc
   * can read the time on a full disk. Four syscalls; no process clock involved.
   */
  fsNow(): number {
    const file = this.#lock();
    const size = file.statSync().size;
    file.truncateSync(size + 1);
    file.truncateSync(size);
    return timeMs(file.statSync().mtime);
  }

  /** Creates the session file on first use. Call under {@linkcode locked}. */
  start(): void {
    if (this.#rootsFile) return;
    const path = `${this.#layout.sessions}/${hostname()}-${Deno.pid}-${uniqueName("s")}`;
    const file = Deno.openSync(path, { createNew: true, append: true });
    // The start on the file system's clock: the new file's mtime.
    this.#startMs = timeMs(file.statSync().mtime);
    writeAll(file, encoder.encode(`start ${this.#startMs}\n`));
    this.#rootsFile = file;
    this.#rootsPath = path;
  }

  /**
   * The mtime to give an object this session refreshes (found present, moved in,
   * set aside): now, and never before the session's start on the file system's
   * clock, which a process clock behind it would give — gc would then judge the
   * object older than the session that holds it. Call after {@linkcode start}.
   */
  refreshTime(): Date {
    return new Date(Math.max(Date.now(), this.#startMs));
  }

  /**
   * Starts the session, if it has not started, before a write leaves anything in
   * `tmp/`: gc spares temp files younger than the oldest live session's start, so a
   * temp file made before the start could be swept while it is being written.
   */
  begin(): void {
    if (!this.#rootsFile) this.locked(() => this.start());
  }

  /** Records temporary roots. Call under {@linkcode locked}. */
  protect(ids: readonly string[]): void {
    this.start();
    if (ids.length > 0) writeAll(this.#rootsFile!, encoder.encode(ids.join("\n") + "\n"));
  }

  /** Ends the session: its roots stop protecting anything. */
  close(): void {
    this.#rootsFile?.close();
    this.#lockFile?.close();
    this.#rootsFile = undefined;
    this.#lockFile = undefined;
    if (this.#rootsPath) {
      try {
        Deno.removeSync(this.#rootsPath);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      this.#rootsPath = undefined;
    }
  }
}

/** What gc learns from the session files. */
export interface LiveSessions {
  /** Start time (ms) of the oldest live session, or undefined when none. */
  readonly oldestStartMs: number | undefined;
  /** Temporary roots of all live sessions. */
  readonly roots: readonly string[];
  /** Session files of dead processes that were removed (0 in a dry run). */
  readonly removed: number;
}

/** Reads every session file; those of dead processes on this host are removed unless `dryRun`. */
export const readSessions = (layout: StoreLayout, dryRun: boolean): LiveSessions => {
  const host = hostname();
  let oldest: number | undefined;
  let removed = 0;
  const roots: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(layout.sessions)];
  } catch (e) {
    if (isNotFound(e)) return { oldestStartMs: undefined, roots, removed };
    throw e;
  }
  for (const entry of entries) {
    const path = `${layout.sessions}/${entry.name}`;
    const match = /^(.*)-(\d+)-s-/.exec(entry.name);
    if (match && match[1] === host && !processIsAlive(Number(match[2]))) {
      if (!dryRun) {
        try {
          Deno.removeSync(path);
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
      removed++;
      continue;
    }
    let text: string;
    try {
      text = Deno.readTextFileSync(path);
    } catch (e) {
      if (isNotFound(e)) continue;
      throw e;
    }
    const lines = text.split("\n");
    const start = Number(/^start (\d+)$/.exec(lines[0] ?? "")?.[1] ?? 0);
    oldest = oldest === undefined ? start : Math.min(oldest, start);
    for (const line of lines.slice(1)) if (/^[0-9a-f]{64}$/.test(line)) roots.push(line);
  }
  return { oldestStartMs: oldest, roots, removed };
};
