import assert from "node:assert/strict";
import { encodeTree, type TreeEntry } from "../../store/tree.ts";
import { decodeTree } from "../../store/tree_decoder.ts";
import { concat, reasonOf } from "./_helpers.ts";

const id = (c: string) => c.repeat(64);

Deno.test("encodeTree() sorts entries by name bytes and round-trips through decodeTree()", () => {
  const entries: TreeEntry[] = [
    { name: "zeta", mode: "file", id: id("1") },
    { name: "Alpha", mode: "executable", id: id("2") },
    { name: "é", mode: "directory", id: id("3") },
    { name: "a", mode: "file", id: id("4") },
  ];
  const decoded = decodeTree(encodeTree(entries));
  assert.deepEqual(decoded.map((e) => e.name), ["Alpha", "a", "zeta", "é"]);
  assert.deepEqual(decoded, [entries[1], entries[3], entries[0], entries[2]]);
});

Deno.test("encodeTree() writes '<mode> <name>\\0<32 raw id bytes>' per entry", () => {
  const bytes = encodeTree([{ name: "a.txt", mode: "file", id: "0f".repeat(32) }]);
  const expected = concat("100644 a.txt\0", new Uint8Array(32).fill(0x0f));
  assert.deepEqual(bytes, expected);
  const dir = encodeTree([{ name: "d", mode: "directory", id: "00".repeat(32) }]);
  assert.deepEqual(dir.subarray(0, 8), new TextEncoder().encode("40000 d\0"));
});

Deno.test("encodeTree() is independent of input order", () => {
  const a = { name: "a", mode: "file", id: id("1") } as const;
  const b = { name: "b", mode: "file", id: id("2") } as const;
  assert.deepEqual(encodeTree([a, b]), encodeTree([b, a]));
});

Deno.test("encodeTree() refuses unsafe and duplicate names", () => {
  for (const name of ["", ".", "..", "a/b", "../x", "a\0b", "a\\b"]) {
    assert.equal(
      reasonOf(() => encodeTree([{ name, mode: "file", id: id("1") }])),
      "UnsafePath",
      name,
    );
  }
  const dup = { name: "x", mode: "file", id: id("1") } as const;
  assert.equal(reasonOf(() => encodeTree([dup, dup])), "UnsafePath");
});

Deno.test("decodeTree() refuses a hand-made entry named '../x'", () => {
  const bytes = concat("100644 ../x\0", new Uint8Array(32));
  assert.equal(reasonOf(() => decodeTree(bytes)), "UnsafePath");
});

Deno.test("decodeTree() refuses truncated, unknown-mode and out-of-order trees", () => {
  const good = encodeTree([{ name: "a", mode: "file", id: id("1") }, {
    name: "b",
    mode: "file",
    id: id("2"),
  }]);
  assert.equal(reasonOf(() => decodeTree(good.subarray(0, good.length - 1))), "InvalidObject");
  assert.equal(
    reasonOf(() => decodeTree(concat("120000 a\0", new Uint8Array(32)))),
    "InvalidObject",
  );
  const swapped = concat(good.subarray(good.length / 2), good.subarray(0, good.length / 2));
  assert.equal(reasonOf(() => decodeTree(swapped)), "InvalidObject");
});

Deno.test("decodeTree() of the empty payload is the empty directory", () => {
  assert.deepEqual(decodeTree(new Uint8Array()), []);
});
