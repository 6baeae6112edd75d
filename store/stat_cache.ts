/**
 * The stat cache: external input files are hashed once, then recognised by their
 * metadata, so an unchanged 10 GB input is not re-read on every run.
 *
 * Entry (index `stat`): absolute path → `size mtime_ms ino ctime_ms recorded_ms id`.
 * A lookup trusts an entry only when size, mtime, inode and ctime all match and
 * the entry is not *racy*: Git's rule — a file changed within the timestamp
 * granularity of the moment its entry was recorded could change again without its
 * timestamps changing, so such an entry is re-hashed (and re-recorded once it is
 * no longer racy). Deno reports ctime in whole seconds, so the racy window is 2 s.
 *
 * Racy is judged on ctime, which only the kernel sets (to its clock, at every
 * change, utime included): a file whose mtime was set into the future (a tarball
 * from a machine ahead of ours) is trusted once its ctime is old, like any other.
 * The recorded time is the *file system's* clock (`now`, read before hashing) —
 * the clock that stamps ctime — never the process's: a process clock seconds
 * ahead of the file system (NFS, containers) made a just-rewritten file look
 * settled, and it was served stale.
 *
 * @module
 */
import type { AppendIndex } from "./append_index.ts";
import type { ObjectId } from "./object_id.ts";
import { hashFile } from "./objects.ts";
import { timeMs } from "./_fs.ts";

/** How close to a file's last change an entry may be written and still be trusted. */
export const RACY_WINDOW_MS = 2000;

/** The outcome of a stat-cache lookup. */
export interface FileIdResult {
  /** The file's blob id. */
  readonly id: ObjectId;
  /** Its size in bytes. */
  readonly size: number;
  /** True when the file was re-hashed (no entry, changed, or racy). */
  readonly hashed: boolean;
}

const fingerprint = (info: Deno.FileInfo): string =>
  `${info.size} ${timeMs(info.mtime)} ${info.ino ?? 0} ${timeMs(info.ctime)}`;

// The change time the racy rule compares with: ctime, or mtime where there is none.
const changedMs = (mtime: number, ctime: number): number => (ctime > 0 ? ctime : mtime);

const isRacy = (recorded: number, mtime: number, ctime: number): boolean =>
  recorded - changedMs(mtime, ctime) <= RACY_WINDOW_MS;

/**
 * The blob id of the file at absolute `path`, from the stat cache when it can be
 * trusted. `now` gives the file system's current time (ms).
 */
export const statCachedFileId = (
  index: AppendIndex,
  path: string,
  now: () => number,
): FileIdResult => {
  const key = encodeURIComponent(path);
  const before = Deno.statSync(path);
  const entry = index.get(key);
  let known: string | undefined;
  if (entry !== undefined) {
    const parts = entry.split(" ");
    const [size, mtime, ino, ctime, recorded, id] = parts;
    if (parts.length === 6 && `${size} ${mtime} ${ino} ${ctime}` === fingerprint(before)) {
      if (!isRacy(Number(recorded), Number(mtime), Number(ctime))) {
        return { id: id!, size: before.size, hashed: false };
      }
      known = `${fingerprint(before)} ${id}`;
    }
  }
  // Read before hashing: the entry claims no more than "unchanged since then".
  const recorded = now();
  const { id, size } = hashFile(path);
  const after = Deno.statSync(path);
  // Record only if the file did not change while it was hashed, and only if the entry
  // says something new: a racy entry re-recorded as racy would add a line per lookup.
  const unchanged = fingerprint(after) === fingerprint(before);
  const racy = isRacy(recorded, timeMs(after.mtime), timeMs(after.ctime));
  if (unchanged && !(racy && known === `${fingerprint(after)} ${id}`)) {
    index.append(key, `${fingerprint(after)} ${recorded} ${id}`);
  }
  return { id, size, hashed: true };
};
