// Split-R̂ and batch-means ESS against chains whose answer is known.
import assert from "node:assert/strict";
import { batchMeans, splitRhat } from "../../../examples/mcmc/diagnostics.ts";
import { rng, seedRng } from "../../../examples/mcmc/rng.ts";

const iid = (n: number, seed: number) => {
  const r = rng(seedRng(seed));
  return Array.from({ length: n }, () => r.normal());
};

/** AR(1): x_t = ρ x_{t−1} + √(1−ρ²) ε_t, stationary N(0, 1); ESS = n(1−ρ)/(1+ρ). */
const ar1 = (n: number, rho: number, seed: number) => {
  const eps = iid(n, seed);
  const xs = [eps[0]!];
  for (let t = 1; t < n; t++) xs.push(rho * xs[t - 1]! + Math.sqrt(1 - rho * rho) * eps[t]!);
  return xs;
};

Deno.test("splitRhat() is close to 1 for a stationary chain", () => {
  assert.ok(Math.abs(splitRhat(iid(20_000, 1)) - 1) < 0.01);
  assert.ok(Math.abs(splitRhat(ar1(20_000, 0.9, 2)) - 1) < 0.02);
});

Deno.test("splitRhat() is well above 1 when the halves disagree (a chain still drifting)", () => {
  const noise = iid(2_000, 3);
  const drifting = noise.map((z, t) => z + (t < 1_000 ? 0 : 2));
  assert.ok(splitRhat(drifting) > 1.3, `${splitRhat(drifting)}`);
  const trend = noise.map((z, t) => z + t / 500);
  assert.ok(splitRhat(trend) > 1.1, `${splitRhat(trend)}`);
});

Deno.test("splitRhat() drops the middle draw of an odd chain and needs 4 draws", () => {
  assert.equal(splitRhat([0, 1, 0, 1, 99, 0, 1, 0, 1]), splitRhat([0, 1, 0, 1, 0, 1, 0, 1]));
  assert.throws(() => splitRhat([1, 2, 3]), /at least 4/);
});

Deno.test("batchMeans() gives an ESS near n for independent draws", () => {
  const n = 40_000;
  const { ess, mcse } = batchMeans(iid(n, 4));
  // 200 batches: σ̂² has relative sd √(2/199) ≈ 0.1, so ±40% is four of them.
  assert.ok(ess > 0.6 * n && ess < 1.4 * n, `ess ${ess}`);
  assert.ok(Math.abs(mcse - 1 / Math.sqrt(n)) < 0.3 / Math.sqrt(n), `mcse ${mcse}`);
});

Deno.test("batchMeans() gives an ESS near n(1−ρ)/(1+ρ) for an AR(1) chain", () => {
  const n = 100_000;
  const rho = 0.9;
  const expected = (n * (1 - rho)) / (1 + rho);
  const { ess, mcse } = batchMeans(ar1(n, rho, 5));
  assert.ok(ess > 0.6 * expected && ess < 1.5 * expected, `ess ${ess}, expected ${expected}`);
  // σ/√n for a unit-variance chain: MCSE = 1/√ESS (to the sample variance).
  assert.ok(Math.abs(mcse * Math.sqrt(ess) - 1) < 0.05, `mcse ${mcse}`);
});
