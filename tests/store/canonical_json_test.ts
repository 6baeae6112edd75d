import assert from "node:assert/strict";
import { encodeCanonicalJson } from "../../store/canonical_json.ts";
import { messageOf, reasonOf } from "./_helpers.ts";

Deno.test("encodeCanonicalJson() sorts keys at every depth and drops whitespace", () => {
  assert.equal(
    encodeCanonicalJson({ z: { b: 2, a: [3, { d: 1, c: 0 }] }, a: "x" }),
    '{"a":"x","z":{"a":[3,{"c":0,"d":1}],"b":2}}',
  );
});

Deno.test("encodeCanonicalJson() writes numbers in shortest round-trip form", () => {
  assert.equal(
    encodeCanonicalJson([1.0, 1e21, 0.1 + 0.2, -0, 1e-7]),
    "[1,1e+21,0.30000000000000004,0,1e-7]",
  );
});

Deno.test("encodeCanonicalJson() gives equal text for equal values built in different orders", () => {
  const a = { x: 1, y: [true, null], z: "é" };
  const b = { z: "é", y: [true, null], x: 1 };
  assert.equal(encodeCanonicalJson(a), encodeCanonicalJson(b));
});

Deno.test("encodeCanonicalJson() rejects what JSON cannot carry, naming the path", () => {
  class Point {
    x = 1;
  }
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const cases: [unknown, string][] = [
    [{ a: { b: NaN } }, "$.a.b"],
    [{ a: [1, Infinity] }, "$.a[1]"],
    [{ f: () => 1 }, "$.f"],
    [{ s: Symbol("x") }, "$.s"],
    [{ n: 1n }, "$.n"],
    [{ u: undefined }, "$.u"],
    [{ p: new Point() }, "$.p"],
    [{ d: new Date(0) }, "$.d"],
    [cyclic, "$.self"],
  ];
  for (const [value, path] of cases) {
    assert.equal(reasonOf(() => encodeCanonicalJson(value)), "InvalidInput");
    assert.match(
      messageOf(() => encodeCanonicalJson(value)),
      new RegExp(path.replace(/[$.[\]]/g, "\\$&")),
    );
  }
});

Deno.test("encodeCanonicalJson() allows the same object twice when it is not a cycle", () => {
  const shared = { a: 1 };
  assert.equal(encodeCanonicalJson({ x: shared, y: shared }), '{"x":{"a":1},"y":{"a":1}}');
});
