import assert from "node:assert/strict";
import { hashObject, isObjectId, objectHeader } from "../../store/object_id.ts";
import { encodeTree } from "../../store/tree.ts";
import { encodeRecord } from "../../store/record.ts";
import { concat, sha256sumAsync } from "./_helpers.ts";

const encoder = new TextEncoder();

Deno.test("hashObject() of the empty blob is the known SHA-256 of 'blob 0\\0'", () => {
  assert.equal(
    hashObject("blob", new Uint8Array()),
    "473a0f4c3be8a93681a267e3b1e9a7dcda1185436fe141f7749120a303721813",
  );
});

Deno.test("hashObject() agrees with sha256sum over Git-style framed bytes for every kind", async () => {
  const blob = encoder.encode("hello, cairn\n");
  const tree = encodeTree([
    { name: "b", mode: "file", id: hashObject("blob", blob) },
    { name: "a", mode: "directory", id: "ab".repeat(32) },
  ]);
  const record = encodeRecord({ type: "run", step: "logsums", n: 1.5 });
  for (const [kind, payload] of [["blob", blob], ["tree", tree], ["record", record]] as const) {
    const framed = concat(`${kind} ${payload.length}\0`, payload);
    assert.equal(hashObject(kind, payload), await sha256sumAsync(framed), kind);
  }
});

Deno.test("hashObject() gives the same payload different ids as different kinds", () => {
  const payload = encoder.encode('{"type":"x"}');
  assert.notEqual(hashObject("blob", payload), hashObject("record", payload));
});

Deno.test("objectHeader() is '<kind> <decimal length>\\0'", () => {
  assert.deepEqual(objectHeader("tree", 1234), encoder.encode("tree 1234\0"));
});

Deno.test("isObjectId() accepts 64 lowercase hex characters only", () => {
  assert.ok(isObjectId("a".repeat(64)));
  assert.ok(!isObjectId("A".repeat(64)));
  assert.ok(!isObjectId("a".repeat(63)));
  assert.ok(!isObjectId("g".repeat(64)));
});
