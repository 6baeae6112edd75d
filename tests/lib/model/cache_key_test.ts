import assert from "node:assert/strict";
import {
  cacheKey,
  describeChanges,
  diffComponents,
  KEY_FORMAT,
  type KeyComponents,
} from "../../../lib/model/cache_key.ts";

const base: KeyComponents = {
  format: KEY_FORMAT,
  step: "logsums",
  signature: {
    inputs: { skims: { codec: "dir", optional: false } },
    outputs: { logsums: "table" },
  },
  code: { mode: "auto", identity: "c".repeat(64) },
  config: { beta: 1 },
  inputs: { skims: "a".repeat(64) },
  iteration: 3,
  env: { MY_VAR: "x" },
};

Deno.test("cacheKey() is a 64-hex SHA-256 and stable for equal components", () => {
  const key = cacheKey(base);
  assert.match(key, /^[0-9a-f]{64}$/);
  assert.equal(cacheKey({ ...base, config: { beta: 1.0 } }), key);
});

Deno.test("cacheKey() changes when any component changes", () => {
  const key = cacheKey(base);
  const variants: Partial<KeyComponents>[] = [
    { format: "cairn-key/2" },
    { step: "other" },
    { signature: { inputs: {}, outputs: { logsums: "json" } } },
    { code: { mode: "auto", identity: "d".repeat(64) } },
    { config: { beta: 2 } },
    { inputs: { skims: "b".repeat(64) } },
    { inputs: { skims: null } },
    { iteration: 4 },
    { iteration: null },
    { env: { MY_VAR: "y" } },
    { env: { MY_VAR: null } },
  ];
  const keys = new Set([key]);
  for (const v of variants) keys.add(cacheKey({ ...base, ...v }));
  assert.equal(keys.size, variants.length + 1);
});

Deno.test("diffComponents() names the changed config key with old and new values", () => {
  const changes = diffComponents(
    { ...base, config: { mode: { beta_time: -0.05, asc: 1 } } },
    { ...base, config: { mode: { beta_time: -0.07, asc: 1 } } },
  );
  assert.deepEqual(changes.map((c) => [c.path, c.before, c.after]), [[
    "config.mode.beta_time",
    -0.05,
    -0.07,
  ]]);
  assert.deepEqual(describeChanges(changes), ["config.mode.beta_time: -0.05 → -0.07"]);
});

Deno.test("diffComponents() reports code changes per unit", () => {
  const changes = diffComponents(
    {
      ...base,
      code: { mode: "auto", identity: "1", units: { "a.ts#run:L3": "x", "helpers.ts": "h1" } },
    } as never,
    {
      ...base,
      code: { mode: "auto", identity: "2", units: { "a.ts#run:L3": "x", "helpers.ts": "h2" } },
    } as never,
  );
  assert.deepEqual(changes.map((c) => c.path), ["code.helpers.ts"]);
});

Deno.test("diffComponents() of identical components is empty", () => {
  assert.deepEqual(diffComponents(base as never, base as never), []);
});

Deno.test("cacheKey() of a plain step's components is pinned: no change to the key format invalidates existing caches", () => {
  // Computed before command steps added their own components: a plain step has none of
  // them, so its key must stay byte-for-byte what it was.
  assert.equal(cacheKey(base), "b8ff1699494bff2b270ba5a03d9790d81d555702c6aebfced44dd6fffcb8a4ac");
});

Deno.test("keyEncoder() gives exactly cacheKey() of the whole, for any inputs, iteration and env", async () => {
  const { cacheKey, KEY_FORMAT, keyEncoder } = await import("../../../lib/model/cache_key.ts");
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const word = () => ["a", "zz", "é", "k1", "Z", "_", "inputs"][Math.floor(rand() * 7)]!;
  for (let i = 0; i < 200; i++) {
    const fixed = {
      format: KEY_FORMAT,
      step: word(),
      signature: { inputs: { [word()]: { codec: "json", optional: rand() < 0.5 } } },
      code: { mode: "auto", identity: String(rand()) },
      config: rand() < 0.3 ? null : { [word()]: rand() < 0.5 ? 1.5 : [word(), null, { x: true }] },
    };
    const encode = keyEncoder(fixed);
    for (let j = 0; j < 5; j++) {
      const varying = {
        inputs: { [word()]: rand() < 0.3 ? null : "f".repeat(64), [word()]: "0".repeat(64) },
        iteration: rand() < 0.3 ? null : Math.floor(rand() * 100),
        env: rand() < 0.5 ? {} : { [word()]: rand() < 0.5 ? null : "v" },
      };
      assert.equal(encode(varying), cacheKey({ ...fixed, ...varying }), JSON.stringify(varying));
    }
  }
});
