/**
 * Append-only key → value indexes: the cache index, the stat cache, and the
 * derived indexes later layers keep. Safe for many processes appending at once.
 *
 * File `index/<name>.log`. Every entry is one write of
 *
 * ```
 * \n<key>\t<value>\t<crc32 of "<key>\t<value>" as 8 hex>
 * ```
 *
 * The newline comes first so that a write torn by a crash stays on a line of its
 * own: the next entry still starts clean. Small O_APPEND writes do not interleave,
 * and a line whose checksum fails (torn, garbled) is skipped. The last entry for
 * a key wins for `get`; `getAll` returns every value in order. A value that
 * starts with an object id (`<id>` or `<id> <more>`) depends on that object: gc
 * drops the entry when it removes the object, and fsck reports it if missing.
 *
 * Lookups are answered from memory: the file is read once, then only its new tail
 * is read when a lookup misses (one `stat`), so a lookup costs well under 10 µs.
 *
 * Compaction (and gc's pruning) takes the index's lock, writes the kept entries to
 * a temp file and renames it over the log, then copies over any tail that reached
 * the old file after its read. Appenders hold the log open; after each append they
 * wait while the lock exists (a compactor killed after its rename never copies the
 * tail: its dead lock is broken) and then check that the path still names the file
 * they wrote to; if compaction replaced it, they append again whatever of theirs
 * the new file lacks. So no entry is lost, even to a compactor killed half-way.
 *
 * @module
 */
import { crc32 } from "./crc32.ts";
import { InvalidInput, storeError, UnsafePath } from "./errors.ts";
import type { StoreLayout } from "./layout.ts";
import { acquireLock, awaitRelease, releaseLock } from "./lock_file.ts";
import { isNotFound, lstatOrUndefined, uniqueName, writeAll } from "./_fs.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const checksum = (text: string): string => (crc32(text) >>> 0).toString(16).padStart(8, "0");

const FORBIDDEN = /[\t\n\r]/;

/** One index file, loaded lazily and kept in memory. */
export class AppendIndex {
  /** The index file's path. */
  readonly path: string;
  readonly #layout: StoreLayout;
  #entries = new Map<string, string[]>();
  #offset = 0;
  #ino: number | null = null;
  #loaded = false;
  #writer: Deno.FsFile | undefined;
  #writerIno: number | null = null;

  /** Opens index `name` of the store laid out by `layout` (nothing is read until a lookup). */
  constructor(layout: StoreLayout, readonly name: string) {
    if (!/^[a-z0-9_\-]+$/.test(name)) {
      throw storeError(
        new InvalidInput({ what: `index name "${name}"`, detail: "use a-z 0-9 _ -" }),
      );
    }
    this.#layout = layout;
    this.path = `${layout.index}/${name}.log`;
  }

  /** The newest value for `key`, reading new entries from disk only on a miss. */
  get(key: string): string | undefined {
    if (!this.#loaded) this.refresh();
    let values = this.#entries.get(key);
    if (values === undefined) {
      this.refresh();
      values = this.#entries.get(key);
    }
    return values?.[values.length - 1];
  }

  /** Every value recorded for `key`, oldest first, after reading new entries. */
  getAll(key: string): readonly string[] {
    this.refresh();
    return this.#entries.get(key) ?? [];
  }

  /** All keys and their values, after reading new entries. */
  entries(): ReadonlyMap<string, readonly string[]> {
    this.refresh();
    return this.#entries;
  }

  /**
   * Hands `each` every line of the log as it is now, valid or not, without keeping
   * them: for a pass over a whole log (gc's pruning, fsck) that looks at most lines
   * only long enough to see they are fine. {@linkcode parseIndexLine} tells which
   * are entries.
   */
  scanLines(each: (line: string) => void): void {
    const info = lstatOrUndefined(this.path);
    if (!info) return;
    if (info.isSymlink) throw this.#linked();
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(this.path);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    const text = decoder.decode(bytes);
    for (let at = 0; at < text.length;) {
      let end = text.indexOf("\n", at);
      if (end < 0) end = text.length;
      if (end > at) each(text.slice(at, end));
      at = end + 1;
    }
  }

  /** Reads entries appended since the last read (all of them after a compaction). */
  refresh(): void {
    let info: Deno.FileInfo;
    try {
      // lstat, not stat: an index that is a link out of the store is refused, not read.
      info = Deno.lstatSync(this.path);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      this.#loaded = true;
      if (this.#ino !== null) this.#reset(null);
      return;
    }
    if (info.isSymlink) throw this.#linked();
    this.#loaded = true;
    if (info.ino !== this.#ino) this.#reset(info.ino);
    if (info.size <= this.#offset) return;
    const file = Deno.openSync(this.path, { read: true });
    try {
      if (file.statSync().ino !== this.#ino) return this.refresh();
      file.seekSync(this.#offset, Deno.SeekMode.Start);
      const buf = new Uint8Array(info.size - this.#offset);
      let got = 0;
      while (got < buf.length) {
        const n = file.readSync(buf.subarray(got));
        if (n === null) break;
        got += n;
      }
      this.#offset += this.#parse(buf.subarray(0, got));
    } finally {
      file.close();
    }
  }

  #linked() {
    return storeError(
      new UnsafePath({
        path: this.path,
        detail: "it is a symbolic link, and the store does not write through links; remove it",
      }),
    );
  }

  #reset(ino: number | null): void {
    this.#entries = new Map();
    this.#offset = 0;
    this.#ino = ino;
  }

  // Parses complete entries; returns how many bytes were consumed. The last line
  // is consumed only if it is valid: it may be a write still in progress.
  #parse(bytes: Uint8Array): number {
    const lines = decoder.decode(bytes).split("\n");
    for (let i = 0; i < lines.length - 1; i++) {
      const entry = parseLine(lines[i]!);
      if (entry) this.#add(entry[0], entry[1]);
    }
    const last = lines[lines.length - 1]!;
    const entry = parseLine(last);
    if (entry) {
      this.#add(entry[0], entry[1]);
      return bytes.length;
    }
    // Not (yet) valid: leave it unread. Only this line is encoded to count its bytes.
    return bytes.length - encoder.encode(last).length;
  }

  #add(key: string, value: string): void {
    const values = this.#entries.get(key);
    if (values) values.push(value);
    else this.#entries.set(key, [value]);
  }

  /** Appends `key → value` (neither may contain a tab or newline). */
  append(key: string, value: string): void {
    this.appendMany([[key, value]]);
  }

  /**
   * Appends several entries with one write: other processes see all of them or
   * none, and the compaction check is paid once.
   */
  appendMany(entries: readonly (readonly [string, string])[]): void {
    if (entries.length === 0) return;
    let text = "";
    for (const [key, value] of entries) {
      if (FORBIDDEN.test(key) || FORBIDDEN.test(value) || key.length === 0) {
        throw storeError(
          new InvalidInput({
            what: `index entry for "${this.name}"`,
            detail: "keys and values must be non-empty and free of tabs and newlines",
          }),
        );
      }
      const body = `${key}\t${value}`;
      text += `\n${body}\t${checksum(body)}`;
    }
    let bytes = encoder.encode(text);
    const written = bytes;
    let pending = entries;
    for (let attempt = 0; attempt < 100; attempt++) {
      if (!this.#writer) {
        Deno.mkdirSync(this.#layout.index, { recursive: true });
        if (lstatOrUndefined(this.path)?.isSymlink) throw this.#linked();
        this.#writer = Deno.openSync(this.path, { append: true, create: true });
        this.#writerIno = this.#writer.statSync().ino;
      }
      writeAll(this.#writer, bytes);
      // A compaction that read the log before this write may not have renamed its copy
      // over it yet; if it is killed after the rename, the tail it would have carried
      // over is lost. So while the index's lock exists, wait for it to go (breaking it
      // once its owner is gone); then the path tells which file the log is.
      awaitRelease(this.path, { trashDir: this.#layout.tmp });
      let current: number | null = null;
      try {
        current = Deno.statSync(this.path).ino;
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      if (current === this.#writerIno) break;
      // Compaction replaced the file after we wrote: the entries are in the new one if
      // it carried them over; write again those it did not.
      this.#writer.close();
      this.#writer = undefined;
      pending = this.#missingFrom(pending);
      if (pending.length === 0) break;
      bytes = encoder.encode(
        pending.map(([key, value]) => `\n${key}\t${value}\t${checksum(`${key}\t${value}`)}`)
          .join(""),
      );
    }
    if (!this.#loaded) return;
    // Keep the in-memory view in file order, each entry once. With O_APPEND the file
    // position after the write is the end of our entries: if they directly follow
    // what was read, take them as read; otherwise others appended first (or a
    // compaction intervened) and a refresh reads theirs and ours in order.
    const end = this.#writer?.seekSync(0, Deno.SeekMode.Current);
    if (
      end !== undefined && bytes === written && this.#ino === this.#writerIno &&
      end - bytes.length === this.#offset
    ) {
      this.#offset = end;
      for (const [key, value] of entries) this.#add(key, value);
    } else {
      this.refresh();
    }
  }

  // The entries of `entries` the log at the path does not hold (key and value alike).
  #missingFrom(
    entries: readonly (readonly [string, string])[],
  ): readonly (readonly [string, string])[] {
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(this.path);
    } catch (e) {
      if (isNotFound(e)) return entries;
      throw e;
    }
    const held = new Set(parseAll(bytes).entries.map(([key, value]) => `${key}\t${value}`));
    return entries.filter(([key, value]) => !held.has(`${key}\t${value}`));
  }

  /**
   * Rewrites the log keeping only entries `keep` accepts (all by default),
   * deduplicated: one entry per key (the newest) when `unique`, else one per
   * distinct key/value pair. Returns how many entries `keep` rejected and how many
   * duplicates went.
   */
  compact(
    options: { keep?: (key: string, value: string) => boolean; unique?: boolean } = {},
  ): { rejected: number; duplicates: number } {
    let lock;
    try {
      lock = acquireLock(this.path, { trashDir: this.#layout.tmp });
    } catch (e) {
      if (isNotFound(e)) return { rejected: 0, duplicates: 0 };
      throw e;
    }
    try {
      let source: Deno.FsFile;
      try {
        source = Deno.openSync(this.path, { read: true });
      } catch (e) {
        if (isNotFound(e)) return { rejected: 0, duplicates: 0 };
        throw e;
      }
      try {
        const first = readFrom(source, 0);
        const { entries: all, complete } = parseAll(first.bytes);
        let rejected = 0;
        let duplicates = 0;
        const kept: string[] = [];
        const seen = new Set<string>();
        for (let i = all.length - 1; i >= 0; i--) {
          const [key, value] = all[i]!;
          const id = options.unique ? key : `${key}\t${value}`;
          if (seen.has(id)) {
            duplicates++;
            continue;
          }
          if (options.keep && !options.keep(key, value)) {
            rejected++;
            continue;
          }
          seen.add(id);
          kept.push(`\n${key}\t${value}\t${checksum(`${key}\t${value}`)}`);
        }
        kept.reverse();
        const tmp = `${this.#layout.tmp}/${uniqueName("index")}`;
        Deno.writeFileSync(tmp, encoder.encode(kept.join("")));
        Deno.renameSync(tmp, this.path);
        // Entries appended to the old file after our read: carry them over.
        // (From the start of a last line that was still being written, if any.)
        const tail = readFrom(source, complete);
        if (tail.bytes.length > 0) {
          const out = Deno.openSync(this.path, { append: true });
          try {
            writeAll(
              out,
              tail.bytes[0] === 0x0a ? tail.bytes : concat(encoder.encode("\n"), tail.bytes),
            );
          } finally {
            out.close();
          }
        }
        return { rejected, duplicates };
      } finally {
        source.close();
      }
    } finally {
      releaseLock(lock);
    }
  }

  /** Releases the open file handle. */
  close(): void {
    this.#writer?.close();
    this.#writer = undefined;
  }
}

/** What {@linkcode readIndexTail} read: entries after an offset of one log file. */
export interface IndexTail {
  /** The inode of the file read (null: no log yet); a new one means the log was rewritten. */
  readonly ino: number | null;
  /** The file's size when read. */
  readonly size: number;
  /** The offset up to which entries were consumed: where the next read starts. */
  readonly end: number;
  /** The valid entries between the offset and `end`, in file order. */
  readonly entries: readonly (readonly [string, string])[];
}

/**
 * The entries of log `path` after byte `offset`, reading at most about `maxBytes`
 * (a chunk ends at a line boundary; call again from `end` for more). A last line
 * that is not valid is left unread, as it may be a write in progress; a torn line
 * before others is skipped, as every reader of the log skips it. An offset past the
 * end (the log was rewritten shorter) reads from the start.
 */
export const readIndexTail = (path: string, offset: number, maxBytes = 8 << 20): IndexTail => {
  let file: Deno.FsFile;
  try {
    if (lstatOrUndefined(path)?.isSymlink) {
      throw storeError(
        new UnsafePath({
          path,
          detail: "it is a symbolic link, and the store does not write through links; remove it",
        }),
      );
    }
    file = Deno.openSync(path, { read: true });
  } catch (e) {
    if (isNotFound(e)) return { ino: null, size: 0, end: 0, entries: [] };
    throw e;
  }
  try {
    const info = file.statSync();
    const start = offset > info.size ? 0 : offset;
    const length = Math.min(info.size - start, maxBytes);
    if (length <= 0) return { ino: info.ino, size: info.size, end: start, entries: [] };
    file.seekSync(start, Deno.SeekMode.Start);
    const buf = new Uint8Array(length);
    let got = 0;
    while (got < length) {
      const n = file.readSync(buf.subarray(got));
      if (n === null) break;
      got += n;
    }
    const bytes = buf.subarray(0, got);
    const atEnd = start + got >= info.size;
    // Lines start with a newline: what follows the last one may be unfinished.
    const last = bytes.lastIndexOf(0x0a);
    const body = last < 0 ? new Uint8Array() : bytes.subarray(0, last);
    const entries: [string, string][] = [];
    for (const line of decoder.decode(body).split("\n")) {
      const entry = parseLine(line);
      if (entry) entries.push(entry);
    }
    let end = start + Math.max(last, 0);
    const rest = last < 0 ? bytes : bytes.subarray(last + 1);
    const final = atEnd ? parseLine(decoder.decode(rest)) : undefined;
    if (final) {
      entries.push(final);
      end = start + got;
    } else if (last < 0 && !atEnd) {
      // One line longer than the chunk: read it whole next time.
      return readIndexTail(path, offset, maxBytes * 2);
    }
    return { ino: info.ino, size: info.size, end, entries };
  } finally {
    file.close();
  }
};

/** A log line's key and value, or undefined for a line that is not a valid entry (torn, garbled). */
export const parseIndexLine = (line: string): [string, string] | undefined => parseLine(line);

const parseLine = (line: string): [string, string] | undefined => {
  const last = line.lastIndexOf("\t");
  if (last < 0 || line.length - last !== 9) return undefined;
  const body = line.slice(0, last);
  if (checksum(body) !== line.slice(last + 1)) return undefined;
  const tab = body.indexOf("\t");
  if (tab <= 0) return undefined;
  return [body.slice(0, tab), body.slice(tab + 1)];
};

// Every valid entry, and how many bytes precede a trailing line that is not (yet) valid.
const parseAll = (bytes: Uint8Array): { entries: [string, string][]; complete: number } => {
  const entries: [string, string][] = [];
  const lines = decoder.decode(bytes).split("\n");
  let complete = bytes.length;
  lines.forEach((line, i) => {
    const entry = parseLine(line);
    if (entry) entries.push(entry);
    else if (i === lines.length - 1 && line.length > 0) {
      complete = bytes.length - encoder.encode(line).length - 1;
    }
  });
  return { entries, complete: Math.max(0, complete) };
};

const readFrom = (file: Deno.FsFile, offset: number): { bytes: Uint8Array } => {
  const size = file.statSync().size;
  if (size <= offset) return { bytes: new Uint8Array() };
  file.seekSync(offset, Deno.SeekMode.Start);
  const buf = new Uint8Array(size - offset);
  let got = 0;
  while (got < buf.length) {
    const n = file.readSync(buf.subarray(got));
    if (n === null) break;
    got += n;
  }
  return { bytes: buf.subarray(0, got) };
};

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};
