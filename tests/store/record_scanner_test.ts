import assert from "node:assert/strict";
import { decodeRecord } from "../../store/record.ts";
import { RecordScanner, type ScannedRecord } from "../../store/record_scanner.ts";
import { StoreError } from "../../store/errors.ts";

const enc = new TextEncoder();
const A = "a".repeat(64);
const B = "0123456789abcdef".repeat(4);

type Outcome = { ok: true; value: ScannedRecord } | { ok: false; reason: string };

// What decodeRecord says, in the scanner's terms.
const byDecode = (bytes: Uint8Array): Outcome => {
  try {
    const record = decodeRecord(bytes);
    return { ok: true, value: { type: record.type, links: [...(record.links ?? [])] } };
  } catch (e) {
    if (e instanceof StoreError) return { ok: false, reason: e.reason._tag };
    throw e;
  }
};

// What the scanner says, given `bytes` in pieces cut at `cuts`.
const byScan = (bytes: Uint8Array, cuts: readonly number[] = []): Outcome => {
  const scanner = new RecordScanner("t");
  try {
    let from = 0;
    for (const cut of [...cuts, bytes.length]) {
      // A reused buffer, as gc's reads hand over: the scanner must not keep it.
      const piece = bytes.slice(from, cut);
      scanner.push(piece);
      piece.fill(0x21);
      from = cut;
    }
    const value = scanner.end();
    return { ok: true, value: { type: value.type, links: [...value.links] } };
  } catch (e) {
    if (e instanceof StoreError) return { ok: false, reason: e.reason._tag };
    throw e;
  }
};

const VALID = [
  `{"type":"run"}`,
  `{"links":[],"type":"run"}`,
  `{"links":["${A}","${B}"],"type":"scenario","n":-1.5e+3}`,
  ` { "type" : "x" , "links" : [ "${A}" ] , "deep": [[[{"a":[1,2,{"b":null}]}]]] } `,
  `{"\\u0074ype":"run","\\u006cinks":["\\u0061${A.slice(1)}"]}`,
  `{"type":"r\\"un\\\\ \\/ \\b\\f\\n\\r\\t \\ud83d\\ude00 é 漢 😀"}`,
  `{"type":"a","type":"b"}`,
  `{"links":"not yet","links":["${A}"],"type":"t"}`,
  `{"type":"t","x":[0,-0,0.5,1e5,1E-5,-12.25e+10,true,false,null,"",{}]}`,
  `{"type":"t","nested":{"links":5,"type":7}}`,
  `{"type":"t","links":[]}\n`,
];

const INVALID = [
  ``,
  ` `,
  `[]`,
  `"type"`,
  `5`,
  `{}`,
  `{"type":""}`,
  `{"type":5}`,
  `{"type":"a","type":null}`,
  `{"type":"t","links":"x"}`,
  `{"type":"t","links":["${A}",5]}`,
  `{"type":"t","links":["${A.toUpperCase()}"]}`,
  `{"type":"t","links":["${A}x"]}`,
  `{"type":"t","links":[["${A}"]]}`,
  `{"type":"t","links":["${A}"],"links":{}}`,
  `{"type":"t"`,
  `{"type":"t"}}`,
  `{"type":"t"} x`,
  `{"type":"t",}`,
  `{"type":"t","a":[1,]}`,
  `{"type":"t","a":01}`,
  `{"type":"t","a":1.}`,
  `{"type":"t","a":.5}`,
  `{"type":"t","a":-}`,
  `{"type":"t","a":1e}`,
  `{"type":"t","a":1e+}`,
  `{"type":"t","a":+1}`,
  `{"type":"t","a":tru}`,
  `{"type":"t","a":nul}`,
  `{"type":"t","a":True}`,
  `{"type":"t","a":"\\x"}`,
  `{"type":"t","a":"\\u12g4"}`,
  `{"type":"t","a":"tab\there"}`,
  `{"type":"t","a":NaN}`,
  `{"type":"t","a":[}`,
  `{"type":"t","a":{]}`,
  `{"type":"t" "a":1}`,
  `{"type":"t","a"1}`,
  `{type:"t"}`,
  `{'type':'t'}`,
  `{"type":"t"}\u00a0`,
];

Deno.test("RecordScanner agrees with decodeRecord on valid and invalid records, in one piece and cut anywhere", () => {
  const cases = [...VALID, ...INVALID].map((text) => enc.encode(text));
  let checks = 0;
  for (const bytes of cases) {
    const expected = byDecode(bytes);
    const label = new TextDecoder().decode(bytes);
    assert.deepEqual(byScan(bytes), expected, label);
    for (let cut = 0; cut <= bytes.length; cut++) {
      assert.deepEqual(byScan(bytes, [cut]), expected, `${label} cut at ${cut}`);
      checks++;
    }
    assert.deepEqual(byScan(bytes, [...bytes.keys()]), expected, `${label} byte by byte`);
  }
  assert.ok(VALID.every((t) => byDecode(enc.encode(t)).ok), "the valid cases are valid");
  assert.ok(INVALID.every((t) => !byDecode(enc.encode(t)).ok), "the invalid cases are invalid");
  assert.ok(checks > 1000, `${checks} checks`);
});

Deno.test("RecordScanner refuses bytes that are not UTF-8 exactly where decodeRecord does", () => {
  const around = (bytes: number[]) =>
    new Uint8Array([...enc.encode(`{"type":"t","a":"`), ...bytes, ...enc.encode(`"}`)]);
  const samples = [
    [0xc3, 0xa9], // é
    [0xe2, 0x82, 0xac], // €
    [0xf0, 0x9f, 0x98, 0x80], // 😀
    [0xc0, 0xaf], // overlong /
    [0xc1, 0xbf],
    [0xe0, 0x80, 0xaf], // overlong
    [0xed, 0xa0, 0x80], // an encoded surrogate
    [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
    [0xf5, 0x80, 0x80, 0x80],
    [0x80],
    [0xc3],
    [0xe2, 0x82],
    [0xff],
    [0xef, 0xbb, 0xbf], // a BOM inside a string is a character
  ];
  for (const sample of samples) {
    const bytes = around(sample);
    const expected = byDecode(bytes);
    for (let cut = 0; cut <= bytes.length; cut++) {
      assert.deepEqual(byScan(bytes, [cut]), expected, `${sample} cut at ${cut}`);
    }
  }
});

Deno.test("RecordScanner agrees with decodeRecord on 20,000 seeded mutations of records", () => {
  let seed = Number(Deno.env.get("CAIRN_TEST_SEED") ?? 11);
  const random = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const alphabet = enc.encode(`{}[]",:\\ 0123456789.eE+-tfnrulsa\u00e9`);
  let accepted = 0;
  for (let n = 0; n < 20_000; n++) {
    const bytes = [...enc.encode(VALID[n % VALID.length]!)];
    const edits = 1 + Math.floor(random() * 3);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(random() * (bytes.length + 1));
      const byte = alphabet[Math.floor(random() * alphabet.length)]!;
      const what = random();
      if (what < 0.4) bytes.splice(at, 1);
      else if (what < 0.7) bytes.splice(at, 0, byte);
      else bytes[Math.min(at, bytes.length - 1)] = byte;
    }
    const input = new Uint8Array(bytes);
    const expected = byDecode(input);
    if (expected.ok) accepted++;
    const cut = Math.floor(random() * (input.length + 1));
    assert.deepEqual(
      byScan(input, [cut]),
      expected,
      `seed case ${n}: ${new TextDecoder().decode(input)}`,
    );
  }
  assert.ok(accepted > 500, `only ${accepted} mutations stayed records`);
});
