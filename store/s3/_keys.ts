// The S3 store's layout under its prefix — the one place that says which key holds
// what — and the pure codecs of the small bodies it writes (refs, reflog entries,
// index entries). No I/O.
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
  // A ref segment never starts with ".", so `.<seq>` cannot be the log of a longer ref name.
  reflog: (name: string) => `${prefix}logs/${name}/`,
  reflogEntry: (name: string, seq: number) =>
    `${prefix}logs/${name}/.${String(seq).padStart(12, "0")}`,
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
 * An index entry is an empty object whose key says everything:
 * `index/<name>/<key>/<time ms, 13 digits>.<counter, 6 digits>.<random>.<value>`, so
 * one listing (keys come sorted) answers get, getAll and snapshot without a read,
 * oldest first. Written create-only: an entry once written never changes.
 */
export const indexEntrySuffix = (
  timeMs: number,
  counter: number,
  random: string,
  value: string,
): string =>
  `${String(timeMs).padStart(13, "0")}.${String(counter % 1e6).padStart(6, "0")}.${random}.${
    escapeKey(value)
  }`;

/** The key and value of an index entry key (after `index/<name>/`), or undefined. */
export const decodeIndexEntry = (rest: string): { key: string; value: string } | undefined => {
  const m = /^([^/]*)\/\d{13}\.\d{6}\.[0-9a-z]+\.([^/]*)$/.exec(rest);
  if (!m) return undefined;
  const key = unescapeKey(m[1]!);
  const value = unescapeKey(m[2]!);
  return key === undefined || value === undefined ? undefined : { key, value };
};
