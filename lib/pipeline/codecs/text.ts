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
 * import { Text } from "./text.ts"
 *
 * Text.decode(Text.encode("héllo") as Uint8Array) // "héllo"
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
