/**
 * Canonical JSON for records: the bytes every writer produces for the same value.
 *
 * The output is RFC 8785 (JCS) for the values records hold: object keys sorted by
 * UTF-16 code units, no insignificant whitespace, numbers in ECMAScript's shortest
 * round-trip form (so `1` and `1.0` are one value), strings escaped as
 * `JSON.stringify` does. Anything JSON cannot carry faithfully — `undefined`,
 * functions, symbols, bigints, non-finite numbers, class instances, cycles — is
 * rejected with the path to the offending value rather than silently dropped.
 *
 * @module
 */
import { InvalidInput, storeError } from "./errors.ts";

/** A value that canonical JSON can carry. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** How deeply a record may nest; deeper fails rather than overflowing the stack. */
export const MAX_JSON_DEPTH = 1000;

// A path at the depth limit is thousands of characters: keep both ends readable.
const shorten = (path: string): string =>
  path.length > 200 ? `${path.slice(0, 120)}…${path.slice(-40)}` : path;

const fail = (path: string, detail: string): never => {
  throw storeError(new InvalidInput({ what: `record value at "${shorten(path)}"`, detail }));
};

// Paths are built only when `track` is set: the first pass runs without them (the
// common case never fails), and a failure re-runs with them to name the value.
const write = (
  value: unknown,
  path: string,
  seen: Set<object>,
  out: string[],
  track: boolean,
  depth = 0,
): void => {
  switch (typeof value) {
    case "string":
      out.push(JSON.stringify(value));
      return;
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "number":
      if (!Number.isFinite(value)) fail(path, `${value} is not a finite number`);
      out.push(Object.is(value, -0) ? "0" : String(value));
      return;
    case "object": {
      if (value === null) {
        out.push("null");
        return;
      }
      if (seen.has(value)) fail(path, "the value contains a cycle");
      if (depth >= MAX_JSON_DEPTH) {
        fail(path, `it is nested more than ${MAX_JSON_DEPTH} levels deep`);
      }
      seen.add(value);
      if (Array.isArray(value)) {
        out.push("[");
        value.forEach((item, i) => {
          if (i > 0) out.push(",");
          write(item, track ? `${path}[${i}]` : "", seen, out, track, depth + 1);
        });
        out.push("]");
      } else {
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) {
          fail(path, `a ${proto?.constructor?.name || "class"} instance is not plain JSON`);
        }
        const keys = Object.keys(value).sort();
        out.push("{");
        keys.forEach((key, i) => {
          if (i > 0) out.push(",");
          out.push(JSON.stringify(key), ":");
          write(
            (value as Record<string, unknown>)[key],
            track ? `${path}.${key}` : "",
            seen,
            out,
            track,
            depth + 1,
          );
        });
        out.push("}");
      }
      seen.delete(value);
      return;
    }
    default:
      fail(path, value === undefined ? "undefined is not JSON" : `a ${typeof value} is not JSON`);
  }
};

/**
 * Encodes a value as canonical JSON text; throws a `StoreError` naming the path of
 * the first value that JSON cannot carry.
 *
 * @example Keys are sorted and numbers normalised
 * ```ts
 * import { encodeCanonicalJson } from "./canonical_json.ts"
 *
 * encodeCanonicalJson({ b: 1.0, a: [true, null] }) // '{"a":[true,null],"b":1}'
 * ```
 */
export const encodeCanonicalJson = (value: unknown): string => {
  const out: string[] = [];
  try {
    write(value, "$", new Set(), out, false);
  } catch {
    write(value, "$", new Set(), [], true); // throws again, now naming the path
  }
  return out.join("");
};
