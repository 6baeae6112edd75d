/**
 * CRC-32 (IEEE 802.3, the checksum of zlib and gzip) of a string's UTF-8 bytes,
 * computed from the string directly. Index lines are checked one by one as they
 * are read, tens of thousands per query; encoding each line to bytes first (or
 * calling `node:zlib`) costs more than the checksum itself.
 *
 * @example Known answer
 * ```ts
 * import { crc32 } from "./crc32.ts";
 * console.assert(crc32("123456789") === 0xcbf43926);
 * ```
 *
 * @module
 */

const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
}

const step = (crc: number, byte: number): number => TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);

/** The CRC-32 of the UTF-8 encoding of `text` (lone surrogates count as U+FFFD, as TextEncoder does). */
export const crc32 = (text: string): number => {
  let crc = -1;
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      crc = step(crc, code);
      continue;
    }
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd;
    if (code < 0x800) {
      crc = step(crc, 0xc0 | (code >> 6));
    } else if (code < 0x10000) {
      crc = step(crc, 0xe0 | (code >> 12));
      crc = step(crc, 0x80 | ((code >> 6) & 0x3f));
    } else {
      crc = step(crc, 0xf0 | (code >> 18));
      crc = step(crc, 0x80 | ((code >> 12) & 0x3f));
      crc = step(crc, 0x80 | ((code >> 6) & 0x3f));
    }
    crc = step(crc, 0x80 | (code & 0x3f));
  }
  return (crc ^ -1) >>> 0;
};
