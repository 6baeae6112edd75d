/**
 * Refs: named pointers to objects, with a reflog.
 *
 * A ref name is one or more `/`-separated segments of `A-Z a-z 0-9 . _ -`, each
 * not starting with `.` and not ending in `.lock`, at most 200 characters in all
 * (`scenarios/travel_demand`). `refs/<name>` holds `<id>\n`; `logs/<name>` gets
 * one line per update: `<old> <new> <time ms> <message as JSON string>`, with 64
 * zeros for "no ref". Updates take `refs/<name>.lock`, compare the current value
 * with the caller's expectation (compare-and-swap), append the reflog line, fsync
 * and rename the lock into place.
 *
 * @module
 */
import { InvalidRefName, RefConflict, storeError, UnsafePath } from "./errors.ts";
import type { StoreLayout } from "./layout.ts";
import { acquireLock, commitLock, isOurs, LockLost, releaseLock } from "./lock_file.ts";
import { isObjectId, type ObjectId } from "./object_id.ts";
import { appendReflogLine } from "./reflog_append.ts";
import { isNotFound, lstatOrUndefined } from "./_fs.ts";

/** The id written for "no ref" in a reflog line. */
export const ZERO_ID: string = "0".repeat(64);

const SEGMENT = /^[A-Za-z0-9_\-][A-Za-z0-9._\-]*$/;

/** Why `name` is not a valid ref name, or undefined when it is. */
export const refNameProblem = (name: string): string | undefined => {
  if (name.length === 0) return "it is empty";
  if (name.length > 200) return "it is longer than 200 characters";
  if (name.startsWith("/")) return "it starts with /";
  if (name.includes("\0")) return "it contains NUL";
  if (name.includes("..")) return 'it contains ".."';
  for (const segment of name.split("/")) {
    if (segment.length === 0) return "it has an empty segment";
    if (!SEGMENT.test(segment)) {
      return `segment ${
        JSON.stringify(segment)
      } has a character outside the charset or starts with "."`;
    }
    if (segment.endsWith(".lock")) return 'a segment ends in ".lock"';
  }
  return undefined;
};

/** Throws `InvalidRefName` unless `name` is valid. */
export const validateRefName = (name: string): void => {
  const detail = refNameProblem(name);
  if (detail) throw storeError(new InvalidRefName({ name, detail }));
};

/** The id a ref points at, or null when there is no such ref. */
export const readRef = (layout: StoreLayout, name: string): ObjectId | null => {
  validateRefName(name);
  try {
    const id = Deno.readTextFileSync(`${layout.refs}/${name}`).split("\n")[0]!.trim();
    return isObjectId(id) ? id : null;
  } catch (e) {
    if (isNotFound(e) || e instanceof Deno.errors.IsADirectory) return null;
    throw e;
  }
};

const LINK = "it is a symbolic link, and the store does not write through links; remove it";

// Throws UnsafePath when directory `dir` resolves outside `base` (a linked directory).
const refuseLinkOut = (base: string, dir: string): void => {
  const real = Deno.realPathSync(dir);
  const realBase = Deno.realPathSync(base);
  if (real !== realBase && !real.startsWith(`${realBase}/`)) {
    throw storeError(new UnsafePath({ path: dir, detail: LINK }));
  }
};

/** Options for {@linkcode updateRef}. */
export interface RefUpdate {
  /** The value the ref must have now: an id, null for "must not exist", undefined for "any". */
  readonly expected?: ObjectId | null;
  readonly message: string;
  readonly durable?: boolean;
}

const encoder = new TextEncoder();

/** Sets `name` to `next` (or deletes it when null), compare-and-swap on `expected`. */
export const updateRef = (
  layout: StoreLayout,
  name: string,
  next: ObjectId | null,
  update: RefUpdate,
): void => {
  validateRefName(name);
  const target = `${layout.refs}/${name}`;
  const slash = name.lastIndexOf("/");
  if (slash > 0) {
    Deno.mkdirSync(`${layout.refs}/${name.slice(0, slash)}`, { recursive: true });
    Deno.mkdirSync(`${layout.logs}/${name.slice(0, slash)}`, { recursive: true });
  }
  // The lock file and the reflog are written where the name leads: never through a
  // link out of the store (a linked ref file itself is fine: the rename replaces it).
  const dir = slash > 0 ? `/${name.slice(0, slash)}` : "";
  refuseLinkOut(layout.refs, `${layout.refs}${dir}`);
  refuseLinkOut(layout.logs, `${layout.logs}${dir}`);
  if (lstatOrUndefined(`${layout.logs}/${name}`)?.isSymlink) {
    throw storeError(new UnsafePath({ path: `${layout.logs}/${name}`, detail: LINK }));
  }
  for (;;) {
    const lock = acquireLock(target, { trashDir: layout.tmp });
    try {
      const current = readRef(layout, name);
      if (update.expected !== undefined && update.expected !== current) {
        throw storeError(new RefConflict({ name, expected: update.expected, actual: current }));
      }
      const line = `${current ?? ZERO_ID} ${next ?? ZERO_ID} ${Date.now()} ${
        JSON.stringify(update.message)
      }\n`;
      const undo = appendReflogLine(`${layout.logs}/${name}`, line, update.durable !== false);
      if (next === null) {
        // Removed while the lock is held (and still ours): after its release another
        // process may set the ref, and a later removal would erase that update.
        if (!isOurs(lock)) throw new LockLost(lock.path);
        try {
          Deno.removeSync(target);
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
        releaseLock(lock);
        return;
      }
      try {
        commitLock(lock, target, encoder.encode(`${next}\n`), update.durable !== false);
      } catch (e) {
        undo(); // the update did not happen: neither may its reflog entry
        throw e;
      }
      return;
    } catch (e) {
      releaseLock(lock);
      if (e instanceof LockLost) continue;
      throw e;
    }
  }
};

/** One reflog line. */
export interface ReflogEntry {
  /** The value before (null: the ref did not exist). */
  readonly old: ObjectId | null;
  /** The value after (null: deleted). */
  readonly new: ObjectId | null;
  /** When (ms since the epoch). */
  readonly timeMs: number;
  /** Why. */
  readonly message: string;
}

/** The reflog of `name`, oldest first; damaged lines (a torn last write) are skipped. */
export const readReflog = (layout: StoreLayout, name: string): ReflogEntry[] => {
  validateRefName(name);
  let text: string;
  try {
    text = Deno.readTextFileSync(`${layout.logs}/${name}`);
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
  const entries: ReflogEntry[] = [];
  for (const line of text.split("\n")) {
    const m = /^([0-9a-f]{64}) ([0-9a-f]{64}) (\d+) (".*")$/.exec(line);
    if (!m) continue;
    let message: string;
    try {
      message = JSON.parse(m[4]!);
    } catch {
      continue;
    }
    entries.push({
      old: m[1] === ZERO_ID ? null : m[1]!,
      new: m[2] === ZERO_ID ? null : m[2]!,
      timeMs: Number(m[3]),
      message,
    });
  }
  return entries;
};

/** Every ref under `prefix` (all when empty), sorted by name. */
export const listRefs = (layout: StoreLayout, prefix = ""): { name: string; id: ObjectId }[] => {
  const out: { name: string; id: ObjectId }[] = [];
  const walk = (dir: string, base: string): void => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    for (const entry of entries) {
      const name = base ? `${base}/${entry.name}` : entry.name;
      if (entry.isDirectory) walk(`${dir}/${entry.name}`, name);
      else if (entry.isFile && !entry.name.endsWith(".lock") && !refNameProblem(name)) {
        const id = readRef(layout, name);
        if (id && name.startsWith(prefix)) out.push({ name, id });
      }
    }
  };
  walk(layout.refs, "");
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
};

/** Names of every ref that has a reflog (including deleted refs). */
export const listReflogs = (layout: StoreLayout): string[] => {
  const out: string[] = [];
  const walk = (dir: string, base: string): void => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    for (const entry of entries) {
      const name = base ? `${base}/${entry.name}` : entry.name;
      if (entry.isDirectory) walk(`${dir}/${entry.name}`, name);
      else if (!refNameProblem(name)) out.push(name);
    }
  };
  walk(layout.logs, "");
  return out.sort();
};
