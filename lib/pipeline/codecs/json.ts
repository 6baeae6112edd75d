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
 * import assert from "node:assert/strict"
 * import { Json } from "cairn"
 *
 * const bytes = await Json.encode({ b: 1, a: [2.0, null] })
 * assert.equal(new TextDecoder().decode(bytes), '{"a":[2,null],"b":1}')
 * assert.deepEqual(await Json.decode(bytes), { a: [2, null], b: 1 })
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
