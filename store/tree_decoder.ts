/**
 * The tree decoder, streaming: tree bytes in chunks of any size in, entries out.
 * Pure (no I/O). `decodeTree` is this decoder given the whole payload at once, so a
 * tree read in chunks (gc and fsck walking one larger than memory should hold) is
 * checked by exactly the rules a whole read applies: known modes, names that are
 * UTF-8, safe and strictly increasing, and no entry cut short.
 *
 * Memory: the bytes of one incomplete entry and the previous entry's name.
 *
 * @module
 */
import { InvalidObject, type StoreError, storeError, UnsafePath } from "./errors.ts";
import type { ObjectId } from "./object_id.ts";
import { type TreeEntry, type TreeEntryMode, unsafeNameReason } from "./tree.ts";

const strict = new TextDecoder("utf-8", { fatal: true });
const lenient = new TextDecoder();

// The modes, as bytes: "100644", "100755", "40000".
const MODES: readonly (readonly [Uint8Array, TreeEntryMode])[] = [
  [new TextEncoder().encode("100644"), "file"],
  [new TextEncoder().encode("100755"), "executable"],
  [new TextEncoder().encode("40000"), "directory"],
];
const LONGEST_MODE = 6;

const modeAt = (bytes: Uint8Array, start: number, end: number): TreeEntryMode | undefined => {
  for (const [text, mode] of MODES) {
    if (end - start !== text.length) continue;
    let i = 0;
    while (i < text.length && bytes[start + i] === text[i]) i++;
    if (i === text.length) return mode;
  }
  return undefined;
};

// Compares a[aStart, aEnd) with b[bStart, bEnd) as unsigned bytes.
const compareBytes = (
  a: Uint8Array,
  aStart: number,
  aEnd: number,
  b: Uint8Array,
  bStart: number,
  bEnd: number,
): number => {
  const n = Math.min(aEnd - aStart, bEnd - bStart);
  for (let i = 0; i < n; i++) {
    const d = a[aStart + i]! - b[bStart + i]!;
    if (d !== 0) return d;
  }
  return aEnd - aStart - (bEnd - bStart);
};

// One string per id, built from character codes (concatenating 32 pairs would make
// 31 intermediate strings per entry).
const hexCodes = new Array<number>(64);
const HEX_DIGITS = Array.from("0123456789abcdef", (c) => c.charCodeAt(0));
const hexOf = (bytes: Uint8Array, start: number): ObjectId => {
  for (let i = 0; i < 32; i++) {
    const b = bytes[start + i]!;
    hexCodes[2 * i] = HEX_DIGITS[b >> 4]!;
    hexCodes[2 * i + 1] = HEX_DIGITS[b & 15]!;
  }
  return String.fromCharCode(...hexCodes);
};

// True when `bytes` are UTF-8, by the rules of a fatal TextDecoder (no overlong
// forms, no surrogates, nothing above U+10FFFF).
const isUtf8 = (bytes: Uint8Array, start: number, end: number): boolean => {
  const n = end;
  let i = start;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let more: number;
    let low = 0x80;
    let high = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) more = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      more = 2;
      if (b === 0xe0) low = 0xa0;
      if (b === 0xed) high = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      more = 3;
      if (b === 0xf0) low = 0x90;
      if (b === 0xf4) high = 0x8f;
    } else return false;
    for (let k = 1; k <= more; k++) {
      const c = i + k < n ? bytes[i + k]! : -1;
      if (c < low || c > high) return false;
      low = 0x80;
      high = 0xbf;
    }
    i += more + 1;
  }
  return true;
};

// The byte form of unsafeNameReason: not empty, ".", "..", and no "/" or "\"
// (a NUL cannot occur: it ends the name).
const isSafeName = (bytes: Uint8Array, start: number, end: number): boolean => {
  const length = end - start;
  if (length === 0) return false;
  if (bytes[start] === 0x2e && (length === 1 || (length === 2 && bytes[start + 1] === 0x2e))) {
    return false;
  }
  for (let i = start; i < end; i++) if (bytes[i] === 0x2f || bytes[i] === 0x5c) return false;
  return true;
};

const join = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};

/**
 * Decodes a tree pushed in chunks, handing each entry over in order. Throws a
 * `StoreError` (`InvalidObject` or `UnsafePath`) at the first rule an entry breaks,
 * and from `end()` when the bytes stop inside an entry.
 *
 * @example
 * ```ts
 * import { TreeDecoder } from "./tree_decoder.ts"
 * import { encodeTree } from "./tree.ts"
 *
 * const bytes = encodeTree([{ name: "a.txt", mode: "file", id: "00".repeat(32) }])
 * const names: string[] = []
 * const decoder = new TreeDecoder("(example)", { onEntry: (entry) => names.push(entry.name) })
 * decoder.push(bytes.subarray(0, 10))
 * decoder.push(bytes.subarray(10))
 * decoder.end() // names: ["a.txt"]
 * ```
 */
export class TreeDecoder {
  readonly #id: string;
  readonly #onEntry: ((entry: TreeEntry) => void) | undefined;
  readonly #onLink: ((id: ObjectId) => void) | undefined;
  #carry: Uint8Array = new Uint8Array();
  // Where the carried bytes start in the tree, for messages.
  #offset = 0;
  // The previous entry's name: bytes[start, end) of `#previous`.
  #previous: Uint8Array | undefined;
  #previousStart = 0;
  #previousEnd = 0;

  /** `onEntry` receives each entry; `onLink` only its id (and names are then not decoded). */
  constructor(
    id: string,
    on: { readonly onEntry?: (entry: TreeEntry) => void; readonly onLink?: (id: ObjectId) => void },
  ) {
    this.#id = id;
    this.#onEntry = on.onEntry;
    this.#onLink = on.onLink;
  }

  #invalid(detail: string): StoreError {
    return storeError(new InvalidObject({ id: this.#id, detail: `not a tree: ${detail}` }));
  }

  /** Decodes every entry `chunk` completes; the caller may reuse `chunk` afterwards. */
  push(chunk: Uint8Array): void {
    let bytes = chunk;
    let at = 0;
    const carried = this.#carry.length;
    if (carried > 0) {
      // The entry begun in the last chunk ends early in this one, as a rule: complete
      // it from this one's first bytes, then go on in `chunk` itself (joining the two
      // whole would copy every chunk once more).
      let joined = join(this.#carry, chunk.subarray(0, Math.min(chunk.length, 4096)));
      let stop = this.#entries(joined, 0, carried);
      if (stop < carried && joined.length < carried + chunk.length) {
        joined = join(this.#carry, chunk); // a name longer than 4 KiB
        stop = this.#entries(joined, 0, carried);
      }
      if (stop < carried) {
        bytes = joined;
        at = stop;
      } else {
        this.#offset += carried;
        at = stop - carried;
      }
    }
    at = this.#entries(bytes, at, bytes.length);
    this.#carry = bytes.slice(at);
    this.#offset += at;
    // The previous name may lie in `chunk`, which the caller reuses.
    if (this.#previous) {
      this.#previous = this.#previous.slice(this.#previousStart, this.#previousEnd);
      this.#previousStart = 0;
      this.#previousEnd = this.#previous.length;
    }
  }

  // Decodes the entries of `bytes` that start at `at` or later and before `before`
  // (`bytes[0]` is at tree offset #offset); returns where it stopped: at `before`,
  // at the end, or at the start of an entry whose bytes are not all there.
  #entries(bytes: Uint8Array, at: number, before: number): number {
    while (at < before && at < bytes.length) {
      const where = this.#offset + at;
      const space = bytes.indexOf(0x20, at);
      if (space < 0 || space - at > LONGEST_MODE) {
        if (space < 0 && bytes.length - at <= LONGEST_MODE) break; // the mode may go on
        const text = lenient.decode(bytes.subarray(at, Math.min(bytes.length, at + 8)));
        throw this.#invalid(`unknown mode "${text}" at byte ${where}`);
      }
      const mode = modeAt(bytes, at, space);
      if (!mode) {
        const text = lenient.decode(bytes.subarray(at, space));
        throw this.#invalid(`unknown mode "${text}" at byte ${where}`);
      }
      const nul = bytes.indexOf(0, space + 1);
      if (nul < 0 || nul + 33 > bytes.length) break; // the rest of the entry is to come
      const start = space + 1;
      if (!isUtf8(bytes, start, nul)) {
        throw this.#invalid(`entry at byte ${where} has a name that is not UTF-8`);
      }
      if (!isSafeName(bytes, start, nul)) {
        const name = strict.decode(bytes.subarray(start, nul));
        throw storeError(
          new UnsafePath({ path: name, detail: `tree "${this.#id}": ${unsafeNameReason(name)}` }),
        );
      }
      const previous = this.#previous;
      if (
        previous &&
        compareBytes(previous, this.#previousStart, this.#previousEnd, bytes, start, nul) >= 0
      ) {
        const name = strict.decode(bytes.subarray(start, nul));
        throw this.#invalid(`entry "${name}" is out of order or repeated`);
      }
      this.#previous = bytes;
      this.#previousStart = start;
      this.#previousEnd = nul;
      const id = hexOf(bytes, nul + 1);
      // Names are decoded only for a caller that wants them: a walk over a tree of
      // 300,000 entries would otherwise make as many strings to throw away.
      if (this.#onEntry) {
        this.#onEntry({ name: strict.decode(bytes.subarray(start, nul)), mode, id });
      }
      this.#onLink?.(id);
      at = nul + 33;
    }
    return at;
  }

  /** Checks that the tree did not stop inside an entry. */
  end(): void {
    if (this.#carry.length === 0) return;
    const where = this.#offset;
    if (this.#carry.indexOf(0x20) < 0) throw this.#invalid(`entry at byte ${where} has no mode`);
    throw this.#invalid(`entry at byte ${where} is truncated`);
  }
}

/**
 * Decodes tree bytes; throws a `StoreError` (`InvalidObject` or `UnsafePath`) for
 * anything but a well-formed, strictly sorted tree of safe names.
 *
 * @example
 * ```ts
 * import { decodeTree } from "./tree_decoder.ts"
 * import { encodeTree } from "./tree.ts"
 *
 * decodeTree(encodeTree([{ name: "a", mode: "file", id: "00".repeat(32) }]))[0]!.name // "a"
 * ```
 */
export const decodeTree = (payload: Uint8Array, id = "(unsaved)"): TreeEntry[] => {
  const entries: TreeEntry[] = [];
  const decoder = new TreeDecoder(id, { onEntry: (entry) => entries.push(entry) });
  decoder.push(payload);
  decoder.end();
  return entries;
};
