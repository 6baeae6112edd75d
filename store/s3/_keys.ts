// The S3 store's layout under its prefix — the one place that says which key holds
// what — and the pure codecs of the small bodies it writes (refs, reflog entries,
// index entries). No I/O.
import { createHash } from "node:crypto";
import { isObjectId, type ObjectId } from "../object_id.ts";
import { ZERO_ID } from "../refs.ts";

/** The first line of `<prefix>format`. */
export const S3_FORMAT_LINE = "cairn-store 1 s3";

/** Keys of one store: every key starts with `prefix` (empty, or ending in "/"). */
export const keysOf = (prefix: string) => ({
  format: `${prefix}format`,
  objects: `${prefix}objects/`,
  object: (id: ObjectId) => `${prefix}objects/${id.slice(0, 2)}/${id.slice(2)}`,
  quarantine: (id: ObjectId, unique: string) => `${prefix}quarantine/${id}-${unique}`,
  refs: `${prefix}refs/`,
  ref: (name: string) => `${prefix}refs/${name}`,
  logs: `${prefix}logs/`,
  // A ref segment never starts with ".", so `.<seq>` cannot be the log of a longer ref name.
  reflog: (name: string) => `${prefix}logs/${name}/`,
  reflogEntry: (name: string, seq: number) =>
    `${prefix}logs/${name}/.${String(seq).padStart(12, "0")}`,
  indexes: `${prefix}index/`,
  index: (name: string) => `${prefix}index/${name}/`,
  indexKey: (name: string, key: string) => `${prefix}index/${name}/${escapeKey(key)}/`,
  lease: (name: string) => `${prefix}leases/${name}`,
});

/** The id named by an `objects/<2>/<62>` key (after the prefix), or undefined. */
export const idOfObjectKey = (objectsPrefix: string, key: string): ObjectId | undefined => {
  const rest = key.slice(objectsPrefix.length);
  const id = rest.slice(0, 2) + rest.slice(3);
  return rest[2] === "/" && isObjectId(id) ? id : undefined;
};

/**
 * A ref's body: `<id> <seq>\n`, or `- <seq>\n` once deleted. The sequence number
 * counts the ref's updates: it names the update's reflog entry, and it makes every
 * body (so every ETag, an MD5 of the body) distinct, so a compare-and-swap on the
 * ETag cannot be fooled by a ref that went from A to B and back to A.
 */
export interface RefBody {
  readonly id: ObjectId | null;
  readonly seq: number;
}

/** Encodes a ref body. */
export const encodeRefBody = (body: RefBody): string => `${body.id ?? "-"} ${body.seq}\n`;

/** Decodes a ref body, or undefined when the bytes are not one. */
export const decodeRefBody = (text: string): RefBody | undefined => {
  const m = /^([0-9a-f]{64}|-) (\d+)\n$/.exec(text);
  return m ? { id: m[1] === "-" ? null : m[1]!, seq: Number(m[2]) } : undefined;
};

/** A reflog entry's body: the disk store's reflog line, `<old> <new> <time ms> <message as JSON>`. */
export const encodeReflogEntry = (
  old: ObjectId | null,
  next: ObjectId | null,
  timeMs: number,
  message: string,
): string => `${old ?? ZERO_ID} ${next ?? ZERO_ID} ${timeMs} ${JSON.stringify(message)}\n`;

/** Decodes a reflog entry's body, or undefined when it is damaged. */
export const decodeReflogEntry = (
  text: string,
): { old: ObjectId | null; new: ObjectId | null; timeMs: number; message: string } | undefined => {
  const m = /^([0-9a-f]{64}) ([0-9a-f]{64}) (\d+) (".*")\n$/.exec(text);
  if (!m) return undefined;
  let message: unknown;
  try {
    message = JSON.parse(m[4]!);
  } catch {
    return undefined;
  }
  if (typeof message !== "string") return undefined;
  return {
    old: m[1] === ZERO_ID ? null : m[1]!,
    new: m[2] === ZERO_ID ? null : m[2]!,
    timeMs: Number(m[3]),
    message,
  };
};

// Index keys and values become key segments: A-Z a-z 0-9 . _ - stay, every other
// UTF-8 byte is `~XX`, so a hex cache key is itself and no segment holds a "/".
const escapeKey = (text: string): string =>
  Array.from(new TextEncoder().encode(text), (b) => {
    const c = String.fromCharCode(b);
    return /[A-Za-z0-9._\-]/.test(c) ? c : `~${b.toString(16).padStart(2, "0")}`;
  }).join("");

const unescapeKey = (segment: string): string | undefined => {
  if (!/^(?:[A-Za-z0-9._\-]|~[0-9a-f]{2})*$/.test(segment)) return undefined;
  const bytes = [...segment.matchAll(/~([0-9a-f]{2})|(.)/g)].map((m) =>
    m[1] !== undefined ? parseInt(m[1], 16) : m[2]!.charCodeAt(0)
  );
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(bytes));
  } catch {
    return undefined;
  }
};

/**
 * The longest value (escaped) an index entry's key holds itself. A longer one — a
 * cache entry's value names each output with its id, so most are longer — is the
 * entry's body, and the key holds `~~<sha256 of the value>` instead: S3 allows 1,024
 * bytes of key, but a Ceph OSD refuses RADOS names over `osd_max_object_name_len`
 * (often 256 or 460, the bucket's marker included), which a cache entry with two
 * outputs already exceeded, as an HTTP 500. `~~` is no escape, so an older reader
 * skips such an entry as unreadable rather than misreading it.
 */
export const INLINE_VALUE_MAX = 160;

/**
 * An index entry is an object whose key says everything but a long value:
 * `index/<name>/<key>/<time ms, 13 digits>.<counter, 6 digits>.<random>.<value>`, so
 * one listing (keys come sorted) answers get, getAll and snapshot without a read,
 * oldest first; a value longer than {@linkcode INLINE_VALUE_MAX} escaped is the
 * body (`body`), named by its digest in the key, and costs one read. Written
 * create-only: an entry once written never changes.
 */
export const indexEntrySuffix = (
  timeMs: number,
  counter: number,
  random: string,
  value: string,
): { readonly suffix: string; readonly body?: Uint8Array } => {
  const head = `${String(timeMs).padStart(13, "0")}.${
    String(counter % 1e6).padStart(6, "0")
  }.${random}.`;
  const escaped = escapeKey(value);
  if (escaped.length <= INLINE_VALUE_MAX) return { suffix: head + escaped };
  const body = new TextEncoder().encode(value);
  return { suffix: `${head}~~${valueDigest(body)}`, body };
};

/** The digest a long value is named by (sha256, hex). */
export const valueDigest = (body: Uint8Array): string =>
  createHash("sha256").update(body).digest("hex");

/**
 * The key and value of an index entry key (after `index/<name>/`) — or, for a value
 * held in the body, the key and the body's digest — or undefined.
 */
export const decodeIndexEntry = (
  rest: string,
): { key: string; value: string } | { key: string; digest: string } | undefined => {
  const m = /^([^/]*)\/\d{13}\.\d{6}\.[0-9a-z]+\.([^/]*)$/.exec(rest);
  if (!m) return undefined;
  const key = unescapeKey(m[1]!);
  if (key === undefined) return undefined;
  const long = /^~~([0-9a-f]{64})$/.exec(m[2]!);
  if (long) return { key, digest: long[1]! };
  const value = unescapeKey(m[2]!);
  return value === undefined ? undefined : { key, value };
};
