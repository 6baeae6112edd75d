import assert from "node:assert/strict";
import { crc32 as zlibCrc32 } from "node:zlib";
import { crc32 } from "../../store/crc32.ts";

Deno.test("crc32() gives the standard check value for 123456789", () => {
  assert.equal(crc32("123456789"), 0xcbf43926);
  assert.equal(crc32(""), 0);
});

Deno.test("crc32() equals zlib's CRC-32 of the UTF-8 bytes, for ASCII and beyond", () => {
  const samples = [
    "run:abc\tdef",
    "zone \u00e9t\u00e9 \u2014 caf\u00e9",
    "emoji \u{1f30d} and \u{10ffff}",
    "lone \ud800 surrogate and \udfff too",
    "x".repeat(10_000),
  ];
  let seed = 7;
  for (let n = 0; n < 200; n++) {
    let text = "";
    const length = n % 40;
    for (let i = 0; i < length; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      text += String.fromCharCode(seed % 5 === 0 ? seed % 0xffff : 32 + (seed % 95));
    }
    samples.push(text);
  }
  for (const text of samples) {
    assert.equal(
      crc32(text),
      zlibCrc32(new TextEncoder().encode(text)) >>> 0,
      JSON.stringify(text),
    );
  }
});
