// Known answers for the S3 store's layout and body codecs (store/s3/_keys.ts).
import assert from "node:assert/strict";
import {
  decodeIndexEntry,
  decodeRefBody,
  decodeReflogEntry,
  encodeRefBody,
  encodeReflogEntry,
  idOfObjectKey,
  indexEntrySuffix,
  INLINE_VALUE_MAX,
  keysOf,
  valueDigest,
} from "../../../store/s3/_keys.ts";

const ID = "473a0f4c3be8a93681a267e3b1e9a7dcda1185436fe141f7749120a303721813";

Deno.test("the S3 layout puts every key under the prefix, objects fanned out like the disk store", () => {
  const keys = keysOf("team/cairn/");
  assert.equal(keys.object(ID), `team/cairn/objects/47/${ID.slice(2)}`);
  assert.equal(idOfObjectKey(keys.objects, keys.object(ID)), ID);
  assert.equal(idOfObjectKey(keys.objects, `team/cairn/objects/47${ID.slice(2)}`), undefined);
  assert.equal(keys.ref("scenarios/base"), "team/cairn/refs/scenarios/base");
  assert.equal(
    keys.reflogEntry("scenarios/base", 7),
    "team/cairn/logs/scenarios/base/.000000000007",
  );
  assert.equal(keys.indexKey("cache", "a b/c"), "team/cairn/index/cache/a~20b~2fc/");
});

Deno.test("a ref body carries its sequence number, and a tombstone is '-'", () => {
  assert.equal(encodeRefBody({ id: ID, seq: 3 }), `${ID} 3\n`);
  assert.equal(encodeRefBody({ id: null, seq: 4 }), "- 4\n");
  assert.deepEqual(decodeRefBody(`${ID} 3\n`), { id: ID, seq: 3 });
  assert.deepEqual(decodeRefBody("- 4\n"), { id: null, seq: 4 });
  assert.equal(decodeRefBody(`${ID}\n`), undefined, "the disk store's body is not an S3 ref body");
});

Deno.test("a reflog entry is the disk reflog's line, and a damaged one decodes to undefined", () => {
  const line = encodeReflogEntry(null, ID, 1700000000000, 'run "base"');
  assert.equal(line, `${"0".repeat(64)} ${ID} 1700000000000 "run \\"base\\""\n`);
  assert.deepEqual(decodeReflogEntry(line), {
    old: null,
    new: ID,
    timeMs: 1700000000000,
    message: 'run "base"',
  });
  assert.equal(decodeReflogEntry(line.slice(0, -3)), undefined);
});

Deno.test("an index entry's key round-trips any key and value, and sorts by time then counter", () => {
  const a = indexEntrySuffix(1700000000000, 1, "r1", `dropped ${ID}`).suffix;
  const b = indexEntrySuffix(1700000000000, 2, "r0", "ü/x").suffix;
  assert.equal(a, `1700000000000.000001.r1.dropped~20${ID}`);
  assert.ok(a < b);
  assert.deepEqual(decodeIndexEntry(`k~2fey/${b}`), { key: "k/ey", value: "ü/x" });
  assert.equal(decodeIndexEntry(`k/${a}/extra`), undefined);
  assert.equal(decodeIndexEntry("k/garbage"), undefined);
});

Deno.test("a value longer than the key may hold goes in the body, named by its sha256 in the key", () => {
  // A cache entry's value with two outputs: 455 bytes escaped, more than a Ceph OSD's
  // osd_max_object_name_len of 460 leaves once the prefix and the bucket's marker are in.
  const value = `${ID} {"big":["${ID}","blob","text",50331666],"x":["${ID}","blob","json",1]}`;
  const { suffix, body } = indexEntrySuffix(1700000000000, 3, "r2", value);
  assert.ok(body);
  assert.equal(new TextDecoder().decode(body), value);
  // Known answer: the digest of these bytes, as sha256sum gives it.
  assert.equal(
    valueDigest(new TextEncoder().encode("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(suffix, `1700000000000.000003.r2.~~${valueDigest(body)}`);
  assert.deepEqual(decodeIndexEntry(`k/${suffix}`), { key: "k", digest: valueDigest(body) });
  const short = indexEntrySuffix(1700000000000, 4, "r3", "x".repeat(INLINE_VALUE_MAX));
  assert.equal(short.body, undefined, "up to INLINE_VALUE_MAX escaped, the key holds it");
  assert.ok(indexEntrySuffix(1700000000000, 5, "r4", "x".repeat(INLINE_VALUE_MAX + 1)).body);
});
