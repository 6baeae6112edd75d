/**
 * What a gc or fsck pass learned of an object — its kind, size and links, read and
 * hashed — kept by a caller for the next pass, which trusts it while the object's
 * file is unchanged (the same size, mtime, inode and change time, as the stat cache
 * judges files) instead of reading and hashing the object again. An object's links
 * are a function of its bytes, and its bytes of its id: a fact can only go stale by
 * the file changing, which its change time shows (a chmod, a write, a utime all set
 * it). A fact is only learned once the file is older than the racy window, so a file
 * rewritten within its clock tick is read again.
 *
 * The store keeps no facts itself (it knows no database); the query layer keeps them
 * in the query index.
 *
 * @module
 */
import type { ObjectId, ObjectKind } from "./object_id.ts";
import { RACY_WINDOW_MS } from "./stat_cache.ts";
import { timeMs } from "./_fs.ts";

/** What a pass learned of one object. */
export interface ObjectFact {
  /** What the object is. */
  readonly kind: ObjectKind;
  /** A record's `type`. */
  readonly type?: string;
  /** Its size in bytes. */
  readonly size: number;
  /** Every object it names, each once. */
  readonly links: readonly ObjectId[];
  /** The file's fingerprint when it was read: `size mtime inode ctime` (ms). */
  readonly stat: string;
}

/** Facts kept between passes: what gc and fsck look up, and what they learn. */
export interface ObjectFacts {
  /** The fact learned of `id` by an earlier pass, if any. */
  readonly get: (id: ObjectId) => ObjectFact | undefined;
  /** Records what this pass learned of `id`. */
  readonly learn: (id: ObjectId, fact: ObjectFact) => void;
  /** Drops the fact of `id` (removed, or changed since). */
  readonly forget: (id: ObjectId) => void;
}

/** The fingerprint a fact is checked against. */
export const statOf = (info: Deno.FileInfo): string =>
  `${info.size} ${timeMs(info.mtime)} ${info.ino ?? 0} ${timeMs(info.ctime)}`;

/** Whether a file of `info` changed too recently to be trusted unchanged later (`now` in ms). */
export const isRacy = (info: Deno.FileInfo, now: number): boolean => {
  const ctime = timeMs(info.ctime);
  return now - (ctime > 0 ? ctime : timeMs(info.mtime)) <= RACY_WINDOW_MS;
};
