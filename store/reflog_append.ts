/**
 * Appending one line to a reflog, so that neither a torn line nor a failed update
 * can damage the log.
 *
 * - A log whose last write was cut short (a crash, a full disk) ends without a
 *   newline: the line is then started on a line of its own, instead of being glued
 *   to the torn one and lost with it.
 * - A write that fails half-way is cut back off, and the caller gets a function that
 *   takes the whole line back out if the ref update it describes does not happen
 *   (no space for the new value): a reflog must not record updates that never were.
 *
 * Only the ref's lock holder appends, so the log's end is the caller's own.
 *
 * @module
 */
import { writeAll } from "./_fs.ts";

const encoder = new TextEncoder();

/**
 * Appends `line` (ending in a newline) to the log at `path`, creating it; returns
 * an undo that removes what was appended, if nothing was appended after it.
 *
 * @example
 * ```ts
 * import { appendReflogLine } from "./reflog_append.ts"
 *
 * const path = Deno.makeTempFileSync()
 * const undo = appendReflogLine(path, "an entry\n", false)
 * undo() // the file is empty again
 * ```
 */
export const appendReflogLine = (path: string, line: string, durable: boolean): () => void => {
  const log = Deno.openSync(path, { read: true, append: true, create: true });
  let size: number;
  let bytes: Uint8Array;
  try {
    size = log.statSync().size;
    let torn = false;
    if (size > 0) {
      const last = new Uint8Array(1);
      log.seekSync(size - 1, Deno.SeekMode.Start);
      torn = log.readSync(last) === 1 && last[0] !== 0x0a;
    }
    bytes = encoder.encode(torn ? `\n${line}` : line);
    try {
      writeAll(log, bytes);
      if (durable) log.syncDataSync();
    } catch (e) {
      log.truncateSync(size);
      throw e;
    }
  } finally {
    log.close();
  }
  return () => {
    const file = Deno.openSync(path, { write: true });
    try {
      // A lock broken while it was held lets another holder append after us: leave that.
      if (file.statSync().size === size + bytes.length) file.truncateSync(size);
    } finally {
      file.close();
    }
  };
};
