/**
 * The stat cache: external input files are hashed once, then recognised by their
 * metadata, so an unchanged 10 GB input is not re-read on every run.
 *
 * Entry (index `stat`): absolute path → `size mtime_ms ino ctime_ms recorded_ms id`.
 * A lookup trusts an entry only when size, mtime, inode and ctime all match and
 * the entry is not *racy*: Git's rule — a file modified within the timestamp
 * granularity of the moment its entry was written could change again without its
 * timestamps changing, so such an entry is re-hashed (and then re-recorded, no
 * longer racy). Deno reports mtime in milliseconds and ctime in whole seconds, so
 * the racy window is 2 s; restoring a file's size and mtime after editing it
 * still changes its ctime, which a non-racy entry is older than by over a second.
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
  readonly id: ObjectId;
  readonly size: number;
  /** True when the file was re-hashed (no entry, changed, or racy). */
  readonly hashed: boolean;
}

const fingerprint = (info: Deno.FileInfo): string =>
  `${info.size} ${timeMs(info.mtime)} ${info.ino ?? 0} ${timeMs(info.ctime)}`;

/** The blob id of the file at absolute `path`, from the stat cache when it can be trusted. */
export const statCachedFileId = (index: AppendIndex, path: string): FileIdResult => {
  const key = encodeURIComponent(path);
  const before = Deno.statSync(path);
  const entry = index.get(key);
  if (entry !== undefined) {
    const parts = entry.split(" ");
    const [size, mtime, ino, ctime, recorded, id] = parts;
    if (
      parts.length === 6 && `${size} ${mtime} ${ino} ${ctime}` === fingerprint(before) &&
      Number(recorded) - Math.max(Number(mtime), Number(ctime)) > RACY_WINDOW_MS
    ) {
      return { id: id!, size: before.size, hashed: false };
    }
  }
  const { id, size } = hashFile(path);
  const after = Deno.statSync(path);
  // Record only if the file did not change while it was hashed.
  if (fingerprint(after) === fingerprint(before)) {
    index.append(key, `${fingerprint(after)} ${Date.now()} ${id}`);
  }
  return { id, size, hashed: true };
};
