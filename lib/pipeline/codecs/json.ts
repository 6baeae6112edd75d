/**
 * The `Json` codec: plain JSON values, written as canonical JSON so that equal
 * values give equal bytes (and downstream steps are reused — early cutoff).
 *
 * @module
 */
import { encodeCanonicalJson } from "../../../store/canonical_json.ts";
import type { ValueCodec } from "./codec.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Plain JSON values.
 *
 * @example
 * ```ts
 * import { Json } from "./json.ts"
 *
 * new TextDecoder().decode(Json.encode({ b: 1, a: 2 }) as Uint8Array) // '{"a":2,"b":1}'
 * ```
 */
// deno-lint-ignore no-explicit-any
export const Json: ValueCodec<any> = {
  _tag: "value",
  name: "json",
  extension: ".json",
  encode: (value) => encoder.encode(encodeCanonicalJson(value)),
  decode: (bytes) => JSON.parse(decoder.decode(bytes)),
};
