/**
 * The `Text` codec: a string as UTF-8.
 *
 * @module
 */
import type { ValueCodec } from "./codec.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * UTF-8 text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict"
 * import { Text } from "cairn"
 *
 * assert.equal(await Text.decode(await Text.encode("héllo")), "héllo")
 * ```
 */
export const Text: ValueCodec<string> = {
  _tag: "value",
  name: "text",
  extension: ".txt",
  encode: (value) => {
    if (typeof value !== "string") throw new Error(`expected a string, got ${typeof value}`);
    return encoder.encode(value);
  },
  decode: (bytes) => decoder.decode(bytes),
};
