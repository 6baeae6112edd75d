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
  keysOf,
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
  const a = indexEntrySuffix(1700000000000, 1, "r1", `dropped ${ID}`);
  const b = indexEntrySuffix(1700000000000, 2, "r0", "ü/x");
  assert.equal(a, `1700000000000.000001.r1.dropped~20${ID}`);
  assert.ok(a < b);
  assert.deepEqual(decodeIndexEntry(`k~2fey/${b}`), { key: "k/ey", value: "ü/x" });
  assert.equal(decodeIndexEntry(`k/${a}/extra`), undefined);
  assert.equal(decodeIndexEntry("k/garbage"), undefined);
});
