/**
 * Canonical config: the one encoding of a step's config that enters its cache key.
 *
 * - Object keys sorted; `undefined` members dropped (an absent key and an
 *   `undefined` one are the same config).
 * - Numbers in shortest round-trip form, so `1` and `1.0` are one value.
 * - `Date`, `Map`, `Set`, `Uint8Array` and `bigint` get tagged encodings:
 *   `{"$date": iso}`, `{"$map": [[k, v], ...]}` (entries sorted by canonical key),
 *   `{"$set": [...]}` (sorted), `{"$bytes": base64}`, `{"$bigint": "123"}`. A plain
 *   object key starting with `$` is escaped to `$$…`, so no plain object can
 *   collide with a tag.
 * - Functions, symbols, class instances, cycles, `NaN` and `±Infinity` fail with
 *   {@linkcode ConfigNotCanonical} naming the path (`config.mode.beta_time`) —
 *   never a partial key. So do members whose getter (or proxy trap) throws, and
 *   nesting deeper than {@linkcode MAX_CONFIG_DEPTH} levels (which would otherwise
 *   overflow the stack with an untyped `RangeError`).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import * as Data from "effect/Data";
import type { JsonValue } from "../../store/canonical_json.ts";
import { encodeCanonicalJson } from "../../store/canonical_json.ts";

/** A config value that cannot be hashed canonically. */
export class ConfigNotCanonical extends Data.TaggedError("ConfigNotCanonical")<{
  readonly path: string;
  readonly detail: string;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    return `Cannot hash config: ${this.path} ${this.detail}; use plain data (objects, arrays, strings, finite numbers, booleans, null, Date, Map, Set, Uint8Array, bigint)`;
  }
}

/** How deeply a config may nest; deeper fails rather than overflowing the stack. */
export const MAX_CONFIG_DEPTH = 1000;

// A path at the depth limit is thousands of characters: keep both ends readable.
const shorten = (path: string): string =>
  path.length > 200 ? `${path.slice(0, 120)}…${path.slice(-40)}` : path;

const fail = (path: string, detail: string): never => {
  throw new ConfigNotCanonical({ path: shorten(path), detail });
};

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

// Reads through getters and proxy traps, which may throw anything.
const read = <A>(path: string, f: () => A): A => {
  try {
    return f();
  } catch (e) {
    return fail(path, `cannot be read: ${messageOf(e)}`);
  }
};

const byCanonical = (a: JsonValue, b: JsonValue): number => {
  const x = encodeCanonicalJson(a);
  const y = encodeCanonicalJson(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

const convert = (
  value: unknown,
  path: string,
  seen: Set<object>,
  depth = 0,
): JsonValue | undefined => {
  switch (typeof value) {
    case "undefined":
      return undefined;
    case "string":
    case "boolean":
      return value;
    case "number":
      if (Number.isNaN(value)) fail(path, "is NaN");
      if (!Number.isFinite(value)) fail(path, `is ${value}`);
      return Object.is(value, -0) ? 0 : value;
    case "bigint":
      return { $bigint: value.toString() };
    case "function":
      return fail(path, "is a function");
    case "symbol":
      return fail(path, "is a symbol");
  }
  if (value === null) return null;
  const object = value as object;
  if (seen.has(object)) fail(path, "refers back to itself (a cycle)");
  if (depth >= MAX_CONFIG_DEPTH) fail(path, `is nested more than ${MAX_CONFIG_DEPTH} levels deep`);
  seen.add(object);
  const inner = depth + 1;
  try {
    if (Array.isArray(object)) {
      return object.map((item, i) => convert(item, `${path}[${i}]`, seen, inner) ?? null);
    }
    if (object instanceof Date) {
      if (Number.isNaN(object.getTime())) fail(path, "is an invalid Date");
      return { $date: object.toISOString() };
    }
    if (object instanceof Uint8Array) return { $bytes: Buffer.from(object).toString("base64") };
    if (object instanceof Map) {
      const entries = [...object.entries()].map(([k, v], i) =>
        [
          convert(k, `${path}<key ${i}>`, seen, inner) ?? null,
          convert(v, `${path}.get(${JSON.stringify(String(k))})`, seen, inner) ?? null,
        ] as [JsonValue, JsonValue]
      );
      return { $map: entries.sort((a, b) => byCanonical(a[0], b[0])) };
    }
    if (object instanceof Set) {
      const items = [...object].map((v, i) =>
        convert(v, `${path}<item ${i}>`, seen, inner) ?? null
      );
      return { $set: items.sort(byCanonical) };
    }
    const proto = read(path, () => Object.getPrototypeOf(object));
    if (proto !== Object.prototype && proto !== null) {
      // An anonymous class has the name "", which says nothing.
      fail(path, `is a ${proto?.constructor?.name || "class"} instance, not plain data`);
    }
    const out: Record<string, JsonValue> = {};
    for (const key of read(path, () => Object.keys(object)).sort()) {
      const member = read(`${path}.${key}`, () => (object as Record<string, unknown>)[key]);
      const converted = convert(member, `${path}.${key}`, seen, inner);
      if (converted !== undefined) out[key.startsWith("$") ? `$${key}` : key] = converted;
    }
    return out;
  } finally {
    seen.delete(object);
  }
};

/**
 * Converts a config to canonical plain JSON; throws {@linkcode ConfigNotCanonical}.
 *
 * @example
 * ```ts
 * import { canonicalConfig } from "./canonical_config.ts"
 *
 * canonicalConfig({ b: 1.0, a: new Set([2, 1]), skip: undefined }) // { a: { $set: [1, 2] }, b: 1 }
 * ```
 */
export const canonicalConfig = (config: unknown, root = "config"): JsonValue =>
  convert(config, root, new Set()) ?? null;

const TAGS = new Set(["$date", "$map", "$set", "$bytes", "$bigint"]);

/**
 * The value a canonical config stands for — the inverse of {@linkcode canonicalConfig}
 * up to what canonicalisation drops (`undefined` members; the insertion order of a
 * `Map`'s or `Set`'s entries, which come back sorted). What a step's `run` receives
 * when its config was given at invocation and crossed a process boundary as JSON.
 *
 * @example
 * ```ts
 * import { canonicalConfig, configFromCanonical } from "./canonical_config.ts"
 *
 * configFromCanonical(canonicalConfig({ at: new Date(0), $x: 1 })) // { $x: 1, at: Date(0) }
 * ```
 */
export const configFromCanonical = (value: JsonValue): unknown => {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(configFromCanonical);
  const record = value as { readonly [key: string]: JsonValue };
  const keys = Object.keys(record);
  if (keys.length === 1 && TAGS.has(keys[0]!)) {
    const inner = record[keys[0]!]!;
    switch (keys[0]) {
      case "$date":
        return new Date(inner as string);
      case "$bigint":
        return BigInt(inner as string);
      case "$bytes":
        return new Uint8Array(Buffer.from(inner as string, "base64"));
      case "$map":
        return new Map(
          (inner as [JsonValue, JsonValue][]).map((
            [k, v],
          ) => [configFromCanonical(k), configFromCanonical(v)]),
        );
      case "$set":
        return new Set((inner as JsonValue[]).map(configFromCanonical));
    }
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    out[key.startsWith("$$") ? key.slice(1) : key] = configFromCanonical(record[key]!);
  }
  return out;
};
