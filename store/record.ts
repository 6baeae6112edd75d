/**
 * The record codec: canonical JSON objects with a `type` field. Pure functions.
 *
 * A record is a JSON object with a string `type` (`"run"`, `"scenario"`, ...). The
 * store knows nothing of what types mean; it only needs a record's outgoing edges,
 * which every record lists in an optional `links` array of object ids (like the
 * `tree` and `parent` lines of a Git commit). gc walks `links`; fsck checks that
 * each one exists. Writers must list every object the record depends on.
 *
 * @module
 */
import { encodeCanonicalJson, type JsonValue } from "./canonical_json.ts";
import { InvalidInput, InvalidObject, storeError } from "./errors.ts";
import { isObjectId, type ObjectId } from "./object_id.ts";

/** A stored record: any JSON object with a string `type` and optional `links`. */
export interface StoreRecord {
  /** What the record is (`run`, `scenario`, …). */
  readonly type: string;
  /** Every object the record depends on: gc follows them, fsck checks them. */
  readonly links?: readonly ObjectId[];
  /** Any other field (JSON). */
  readonly [field: string]: JsonValue | undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

const checkShape = (value: unknown, fail: (detail: string) => never): StoreRecord => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail("a record must be a JSON object");
  }
  const record = value as Record<string, unknown>;
  if (typeof record.type !== "string" || record.type.length === 0) {
    fail('a record needs a non-empty string "type" field');
  }
  if (record.links !== undefined) {
    if (
      !Array.isArray(record.links) ||
      !record.links.every((l) => typeof l === "string" && isObjectId(l))
    ) {
      fail('"links" must be an array of object ids');
    }
  }
  return record as StoreRecord;
};

/**
 * Encodes a record as canonical JSON bytes; throws a `StoreError` when the value is
 * not a record or holds something canonical JSON cannot carry.
 *
 * @example
 * ```ts
 * import { encodeRecord } from "./record.ts"
 *
 * new TextDecoder().decode(encodeRecord({ type: "note", text: "hi" })) // '{"text":"hi","type":"note"}'
 * ```
 */
export const encodeRecord = (record: StoreRecord): Uint8Array => {
  checkShape(record, (detail) => {
    throw storeError(new InvalidInput({ what: "record", detail }));
  });
  return encoder.encode(encodeCanonicalJson(record));
};

/** Decodes record bytes; throws a `StoreError` (`InvalidObject`) for anything else. */
export const decodeRecord = (payload: Uint8Array, id = "(unsaved)"): StoreRecord => {
  const fail = (detail: string): never => {
    throw storeError(new InvalidObject({ id, detail: `not a record: ${detail}` }));
  };
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(payload));
  } catch (cause) {
    return fail(cause instanceof Error ? cause.message : String(cause));
  }
  return checkShape(value, fail);
};
