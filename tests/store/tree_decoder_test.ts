import assert from "node:assert/strict";
import { encodeTree, type TreeEntry } from "../../store/tree.ts";
import { decodeTree, TreeDecoder } from "../../store/tree_decoder.ts";
import { StoreError } from "../../store/errors.ts";
import { concat } from "./_helpers.ts";

type Outcome = { ok: true; entries: TreeEntry[] } | { ok: false; reason: string };

const outcome = (f: () => TreeEntry[]): Outcome => {
  try {
    return { ok: true, entries: f() };
  } catch (e) {
    if (e instanceof StoreError) return { ok: false, reason: e.reason._tag };
    throw e;
  }
};

// Decodes `bytes` in pieces cut at `cuts`, each piece a buffer overwritten after the push.
const inPieces = (bytes: Uint8Array, cuts: readonly number[]): Outcome =>
  outcome(() => {
    const entries: TreeEntry[] = [];
    const decoder = new TreeDecoder("t", { onEntry: (e) => entries.push(e) });
    let from = 0;
    for (const cut of [...cuts, bytes.length]) {
      const piece = bytes.slice(from, cut);
      decoder.push(piece);
      piece.fill(0x41);
      from = cut;
    }
    decoder.end();
    return entries;
  });

const id = (c: string) => c.repeat(64);
const valid = encodeTree([
  { name: "a", mode: "file", id: id("1") },
  { name: "bin", mode: "executable", id: id("2") },
  { name: "sub dir", mode: "directory", id: id("3") },
  { name: "é😀", mode: "file", id: id("4") },
]);

Deno.test("TreeDecoder gives decodeTree's entries and errors wherever the bytes are cut", () => {
  const samples = [
    valid,
    new Uint8Array(),
    valid.subarray(0, valid.length - 1), // truncated id
    valid.subarray(0, 3), // truncated mode
    concat(valid, "100644"), // a mode and nothing else
    concat("100645 a\0", new Uint8Array(32)), // unknown mode
    concat("1006444 a\0", new Uint8Array(32)),
    concat("100644 \0", new Uint8Array(32)), // empty name
    concat("100644 ..\0", new Uint8Array(32)),
    concat("100644 a/b\0", new Uint8Array(32)),
    concat("100644 b\0", new Uint8Array(32), "100644 a\0", new Uint8Array(32)), // order
    concat("100644 a\0", new Uint8Array(32), "100644 a\0", new Uint8Array(32)), // repeated
    concat("100644 ", new Uint8Array([0xff, 0]), new Uint8Array(32)), // not UTF-8
    concat(new Uint8Array([0xff, 0xfe, 0x20]), "a\0", new Uint8Array(32)), // mode not UTF-8
  ];
  for (const [n, bytes] of samples.entries()) {
    const whole = outcome(() => decodeTree(bytes, "t"));
    for (let cut = 0; cut <= bytes.length; cut++) {
      assert.deepEqual(inPieces(bytes, [cut]), whole, `sample ${n} cut at ${cut}`);
    }
    assert.deepEqual(inPieces(bytes, [...bytes.keys()]), whole, `sample ${n} byte by byte`);
  }
  assert.equal(outcome(() => decodeTree(valid)).ok, true);
  // Without names (a walk): the same verdicts, the same ids.
  for (const [n, bytes] of samples.entries()) {
    const whole = outcome(() => decodeTree(bytes, "t"));
    for (let cut = 0; cut <= bytes.length; cut++) {
      const ids: string[] = [];
      const verdict = outcome(() => {
        const decoder = new TreeDecoder("t", { onLink: (link) => ids.push(link) });
        decoder.push(bytes.slice(0, cut));
        decoder.push(bytes.slice(cut));
        decoder.end();
        return [];
      });
      assert.equal(verdict.ok, whole.ok, `sample ${n} without names, cut at ${cut}`);
      if (!verdict.ok && !whole.ok) assert.equal(verdict.reason, whole.reason);
      if (whole.ok) assert.deepEqual(ids, whole.entries.map((e) => e.id));
    }
  }
  assert.equal(outcome(() => decodeTree(samples[2]!)).ok, false);
});
