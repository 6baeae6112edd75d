/**
 * The tree codec: a directory as bytes. Pure functions, no I/O.
 *
 * Encoding (byte-exact): the entries sorted by the UTF-8 bytes of their names,
 * each written as
 *
 * ```
 * <mode> SP <name> NUL <32-byte binary object id>
 * ```
 *
 * with `<mode>` one of `100644` (file), `100755` (executable file) or `40000`
 * (directory) — Git's modes and layout, with SHA-256 ids. Names are non-empty
 * UTF-8 without `/` or NUL and are never `.` or `..`, so a tree cannot name a path
 * outside the directory it is materialized into. Decoding (`tree_decoder.ts`)
 * enforces every rule and the strict order (no duplicates), so a hand-made tree
 * with an entry `../x` is refused before anything is written.
 *
 * @module
 */
import { storeError, UnsafePath } from "./errors.ts";
import type { ObjectId } from "./object_id.ts";

/** What a tree entry is. */
export type TreeEntryMode = "file" | "executable" | "directory";

/** One entry of a tree. */
export interface TreeEntry {
  /** The entry's name (no `/`, never `.` or `..`). */
  readonly name: string;
  /** A file, an executable or a directory. */
  readonly mode: TreeEntryMode;
  /** The blob or tree it names. */
  readonly id: ObjectId;
}

const MODE_TO_TEXT: Record<TreeEntryMode, string> = {
  file: "100644",
  executable: "100755",
  directory: "40000",
};
const encoder = new TextEncoder();

/** Why `name` cannot be a tree entry name, or `undefined` when it can. */
export const unsafeNameReason = (name: string): string | undefined => {
  if (name.length === 0) return "an entry name is empty";
  if (name === "." || name === "..") return 'an entry name is "." or ".."';
  if (name.includes("/")) return "an entry name contains /";
  if (name.includes("\\")) return "an entry name contains \\";
  if (name.includes("\0")) return "an entry name contains NUL";
  return undefined;
};

const compareBytes = (a: Uint8Array, b: Uint8Array): number => {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
};

const hexToBytes = (hex: string): Uint8Array => {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
};

/**
 * Encodes entries (in any order) as tree bytes; throws a `StoreError` for an unsafe
 * or duplicate name.
 *
 * @example
 * ```ts
 * import { encodeTree } from "./tree.ts"
 *
 * const bytes = encodeTree([{ name: "a.txt", mode: "file", id: "00".repeat(32) }])
 * bytes.length // "100644 a.txt\0".length + 32 === 45
 * ```
 */
export const encodeTree = (entries: readonly TreeEntry[]): Uint8Array => {
  const encoded = entries.map((entry) => {
    const reason = unsafeNameReason(entry.name);
    if (reason) throw storeError(new UnsafePath({ path: entry.name, detail: reason }));
    return { entry, name: encoder.encode(entry.name) };
  }).sort((a, b) => compareBytes(a.name, b.name));
  const parts: Uint8Array[] = [];
  let size = 0;
  for (let i = 0; i < encoded.length; i++) {
    const { entry, name } = encoded[i]!;
    if (i > 0 && compareBytes(encoded[i - 1]!.name, name) === 0) {
      throw storeError(new UnsafePath({ path: entry.name, detail: "the name appears twice" }));
    }
    const head = encoder.encode(`${MODE_TO_TEXT[entry.mode]} `);
    const part = new Uint8Array(head.length + name.length + 1 + 32);
    part.set(head, 0);
    part.set(name, head.length);
    part[head.length + name.length] = 0;
    part.set(hexToBytes(entry.id), head.length + name.length + 1);
    parts.push(part);
    size += part.length;
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
};
