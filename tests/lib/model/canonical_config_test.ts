import assert from "node:assert/strict";
import { canonicalConfig } from "../../../lib/model/canonical_config.ts";
import { ConfigNotCanonical } from "../../../lib/pipeline/errors.ts";
import { encodeCanonicalJson } from "../../../store/canonical_json.ts";

const text = (v: unknown) => encodeCanonicalJson(canonicalConfig(v));

const rejection = (value: unknown): ConfigNotCanonical => {
  try {
    canonicalConfig(value);
  } catch (e) {
    if (e instanceof ConfigNotCanonical) return e;
    throw e;
  }
  throw new Error("expected ConfigNotCanonical");
};

Deno.test("canonicalConfig() makes 1 and 1.0, and key order, one value", () => {
  assert.equal(text({ a: 1.0, b: { y: 2, x: 1 } }), text({ b: { x: 1, y: 2 }, a: 1 }));
  assert.equal(text({ n: -0 }), text({ n: 0 }));
});

Deno.test("canonicalConfig() drops undefined members", () => {
  assert.equal(text({ a: 1, b: undefined }), text({ a: 1 }));
  assert.equal(text([1, undefined]), "[1,null]");
});

Deno.test("canonicalConfig() gives Date, Map, Set, Uint8Array and bigint tagged, order-free encodings", () => {
  assert.deepEqual(canonicalConfig(new Date(0)), { $date: "1970-01-01T00:00:00.000Z" });
  assert.equal(text(new Map([["b", 1], ["a", 2]])), text(new Map([["a", 2], ["b", 1]])));
  assert.equal(text(new Set([3, 1, 2])), '{"$set":[1,2,3]}');
  assert.deepEqual(canonicalConfig(new Uint8Array([1, 2, 255])), { $bytes: "AQL/" });
  assert.deepEqual(canonicalConfig(12345678901234567890n), { $bigint: "12345678901234567890" });
  assert.notEqual(text(new Set([1])), text([1]), "a set is not an array");
});

Deno.test("canonicalConfig() escapes plain keys that look like tags", () => {
  assert.notEqual(text({ $date: "1970-01-01T00:00:00.000Z" }), text(new Date(0)));
  assert.deepEqual(canonicalConfig({ $x: 1 }), { $$x: 1 });
});

Deno.test("canonicalConfig() rejects each non-data kind, naming the path", () => {
  class Params {
    beta = 1;
  }
  const cycle: Record<string, unknown> = { a: {} };
  (cycle.a as Record<string, unknown>).back = cycle;
  const cases: [unknown, string, RegExp][] = [
    [{ mode: { beta_time: NaN } }, "config.mode.beta_time", /NaN/],
    [{ mode: { beta_time: Infinity } }, "config.mode.beta_time", /Infinity/],
    [{ mode: { beta_time: -Infinity } }, "config.mode.beta_time", /-Infinity/],
    [{ f: () => 1 }, "config.f", /function/],
    [{ s: Symbol("s") }, "config.s", /symbol/],
    [{ p: new Params() }, "config.p", /Params instance/],
    [cycle, "config.a.back", /cycle/],
    [{ list: [1, { bad: NaN }] }, "config.list[1].bad", /NaN/],
    [{ d: new Date(NaN) }, "config.d", /invalid Date/],
  ];
  for (const [value, path, detail] of cases) {
    const error = rejection(value);
    assert.equal(error.path, path);
    assert.match(error.message, detail);
    assert.ok(error.message.includes(path));
  }
});

Deno.test("canonicalConfig() accepts deep nesting of plain data", () => {
  let deep: unknown = 1;
  for (let i = 0; i < 500; i++) deep = { d: deep };
  assert.ok(text(deep).startsWith('{"d":{"d":'));
});

Deno.test("configFromCanonical gives back the value a canonical config stands for", async () => {
  const { configFromCanonical } = await import("../../../lib/model/canonical_config.ts");
  const value = {
    at: new Date(5),
    big: 12345678901234567890n,
    bytes: new Uint8Array([1, 2, 3]),
    map: new Map<unknown, unknown>([["b", 2], ["a", 1]]),
    set: new Set([3, 1, 2]),
    $dollar: { $date: "not a tag: escaped" },
    list: [1, "two", null, { nested: true }],
  };
  const back = configFromCanonical(canonicalConfig(value)) as typeof value;
  assert.deepEqual(back, {
    ...value,
    map: new Map([["a", 1], ["b", 2]]),
    set: new Set([1, 2, 3]),
  });
  assert.ok(back.at instanceof Date);
  assert.deepEqual(canonicalConfig(back), canonicalConfig(value));
});
