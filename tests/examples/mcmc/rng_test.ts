// The generator: the reference algorithm's outputs, and exact continuation from a
// state that went through JSON.
import assert from "node:assert/strict";
import { rng, type RngState, seedRng } from "../../../examples/mcmc/rng.ts";

Deno.test("rng() reproduces the xoshiro128** reference outputs for state [1, 2, 3, 4]", () => {
  // From the reference C implementation (prng.di.unimi.it/xoshiro128starstar.c).
  const r = rng([1, 2, 3, 4]);
  const outputs = Array.from({ length: 6 }, () => r.nextUint32());
  assert.deepEqual(outputs, [11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  assert.deepEqual(r.state(), [1110993931, 286554632, 2431677446, 2165318166]);
});

Deno.test("a generator restored from its state as JSON continues exactly as the original", () => {
  const a = rng(seedRng(42));
  // An odd count: a generator that kept Box–Muller's second deviate for later would
  // hold it outside the saved state here, and the streams would part.
  for (let i = 0; i < 1001; i++) a.normal();
  const saved: RngState = JSON.parse(JSON.stringify(a.state()));
  const draw = (r: ReturnType<typeof rng>) =>
    Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? r.uniform() : r.normal()));
  const continued = draw(a);
  const resumed = draw(rng(saved));
  assert.deepEqual(resumed, continued);
  // Not a constant stream: the comparison above means something.
  assert.ok(new Set(continued).size > 990);
});

Deno.test("rng() copies its starting state instead of advancing it", () => {
  const start = seedRng(7);
  const before = [...start];
  const r = rng(start);
  const first = r.uniform();
  assert.deepEqual([...start], before);
  assert.equal(rng(start).uniform(), first);
  assert.notDeepEqual(r.state(), start);
});

Deno.test("seedRng() gives distinct states for distinct seeds, the same for the same seed", () => {
  assert.deepEqual(seedRng(1), seedRng(1));
  const states = new Set(Array.from({ length: 100 }, (_, s) => JSON.stringify(seedRng(s))));
  assert.equal(states.size, 100);
});

Deno.test("rng() refuses a state that is not four uint32 words, or all zero", () => {
  assert.throws(() => rng([0, 0, 0, 0]), /all zero/);
  assert.throws(() => rng([1, 2, 3] as unknown as RngState), /four uint32/);
  assert.throws(() => rng([1, 2, 3, 2 ** 32]), /four uint32/);
  assert.throws(() => rng([1, 2, 3, -1]), /four uint32/);
});

Deno.test("uniform() stays in [0, 1) and normal() has mean 0 and variance 1", () => {
  const n = 200_000;
  const r = rng(seedRng(3));
  const u = Array.from({ length: n }, () => r.uniform());
  assert.ok(u.every((x) => x >= 0 && x < 1));
  // Independent draws: a mean's standard error is sd/√n; allow 5 of them.
  const uMean = u.reduce((s, x) => s + x, 0) / n;
  assert.ok(Math.abs(uMean - 0.5) < 5 * Math.sqrt(1 / 12 / n), `uniform mean ${uMean}`);
  const z = Array.from({ length: n }, () => r.normal());
  const zMean = z.reduce((s, x) => s + x, 0) / n;
  const zVar = z.reduce((s, x) => s + x * x, 0) / n;
  assert.ok(Math.abs(zMean) < 5 / Math.sqrt(n), `normal mean ${zMean}`);
  // Var(z²) = 2 for a standard normal.
  assert.ok(Math.abs(zVar - 1) < 5 * Math.sqrt(2 / n), `normal variance ${zVar}`);
});
