import assert from "node:assert/strict";
import { decodeRecord, encodeRecord } from "../../store/record.ts";
import { reasonOf } from "./_helpers.ts";

const encoder = new TextEncoder();

Deno.test("encodeRecord() writes canonical JSON and decodeRecord() reads it back", () => {
  const record = { type: "run", step: "logsums", links: ["a".repeat(64)], config: { b: 2, a: 1 } };
  const bytes = encodeRecord(record);
  assert.equal(
    new TextDecoder().decode(bytes),
    `{"config":{"a":1,"b":2},"links":["${"a".repeat(64)}"],"step":"logsums","type":"run"}`,
  );
  assert.deepEqual(decodeRecord(bytes), record);
});

Deno.test("encodeRecord() requires a type and well-formed links", () => {
  assert.equal(reasonOf(() => encodeRecord({ step: "x" } as never)), "InvalidInput");
  assert.equal(reasonOf(() => encodeRecord({ type: "" })), "InvalidInput");
  assert.equal(reasonOf(() => encodeRecord({ type: "run", links: ["nope"] })), "InvalidInput");
});

Deno.test("decodeRecord() refuses garbled, truncated and non-object payloads", () => {
  const good = encodeRecord({ type: "run", n: 1 });
  assert.equal(reasonOf(() => decodeRecord(good.subarray(0, good.length - 2))), "InvalidObject");
  assert.equal(reasonOf(() => decodeRecord(encoder.encode("[1,2]"))), "InvalidObject");
  assert.equal(reasonOf(() => decodeRecord(encoder.encode('{"n":1}'))), "InvalidObject");
  assert.equal(reasonOf(() => decodeRecord(new Uint8Array([0xff, 0xfe]))), "InvalidObject");
});
