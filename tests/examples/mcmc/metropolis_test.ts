// The sampler: blocks resumed from a stored state equal one uninterrupted chain;
// the chain accepts some proposals and rejects others; it targets the right density.
import assert from "node:assert/strict";
import { type ChainState, metropolis } from "../../../examples/mcmc/metropolis.ts";
import { seedRng } from "../../../examples/mcmc/rng.ts";
import type { Target } from "../../../examples/mcmc/target.ts";

const banana: Target = { kind: "banana", a: 2, b: 0.5 };

// Odd and even numbers of coordinates: each draw consumes a normal deviate per coordinate.
for (const [target, x] of [[banana, [5, -10]], [{ kind: "normal", dim: 3 }, [1, 2, 3]]] as const) {
  Deno.test(`blocks resumed from a JSON-stored state equal one uninterrupted chain, bit for bit (${target.kind})`, () => {
    const start: ChainState = { x, rng: seedRng(11) };
    const whole = metropolis(start, { target, scale: 1.5, length: 3000 });
    let state = start;
    const draws: (readonly number[])[] = [];
    const accepted: boolean[] = [];
    // Uneven blocks: 1001 draws of 3 coordinates use an odd number of normal deviates.
    for (const length of [1001, 999, 1000]) {
      const part = metropolis(state, { target, scale: 1.5, length });
      draws.push(...part.draws);
      accepted.push(...part.accepted);
      state = JSON.parse(JSON.stringify(part.state)); // what the Json codec stores
    }
    // deepStrictEqual compares numbers with Object.is: every bit of every draw.
    assert.deepEqual(draws, whole.draws);
    assert.deepEqual(accepted, whole.accepted);
    assert.deepEqual(state, JSON.parse(JSON.stringify(whole.state)));
  });
}

Deno.test("metropolis() leaves the state it starts from unchanged and returns the last draw", () => {
  const start: ChainState = { x: [0, 0], rng: seedRng(5) };
  const copy = JSON.parse(JSON.stringify(start));
  const { state, draws } = metropolis(start, { target: banana, scale: 1, length: 50 });
  assert.deepEqual(start, copy);
  assert.deepEqual(state.x, draws[draws.length - 1]);
  assert.notDeepEqual(state.rng, start.rng);
});

Deno.test("the acceptance rate is strictly between 0 and 1, and falls as the proposal widens", () => {
  const rate = (scale: number) => {
    const { accepted } = metropolis({ x: [0, 0], rng: seedRng(9) }, {
      target: banana,
      scale,
      length: 5000,
    });
    return accepted.filter(Boolean).length / accepted.length;
  };
  const rates = [0.3, 1.5, 6].map(rate);
  for (const r of rates) assert.ok(r > 0 && r < 1, `acceptance ${r}`);
  assert.ok(rates[0]! > rates[1]! && rates[1]! > rates[2]!, `rates ${rates}`);
});

Deno.test("a rejected proposal repeats the current point; an accepted one moves", () => {
  const { draws, accepted } = metropolis({ x: [0, 0], rng: seedRng(2) }, {
    target: banana,
    scale: 1.5,
    length: 2000,
  });
  for (let i = 1; i < draws.length; i++) {
    const same = draws[i]!.every((v, d) => v === draws[i - 1]![d]);
    assert.equal(same, !accepted[i], `draw ${i}`);
  }
});

Deno.test("on a standard normal target the chain's mean is 0 and its variance 1, within the Monte Carlo error", () => {
  const n = 200_000;
  const { draws } = metropolis({ x: [3], rng: seedRng(1) }, {
    target: { kind: "normal", dim: 1 },
    scale: 2.4,
    length: n,
  });
  const xs = draws.map((x) => x[0]!);
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
  // Correlated draws: the standard error of the mean is √(τ/n) for integrated
  // autocorrelation time τ. Random-walk Metropolis at scale 2.4 on N(0,1) has τ ≈ 3–4;
  // τ = 10 is a generous bound, and 5 standard errors make a false failure negligible.
  const tau = 10;
  assert.ok(Math.abs(mean) < 5 * Math.sqrt(tau / n), `mean ${mean}`);
  // Var(x²) = 2 for a standard normal, so the variance's standard error is √(2τ/n).
  assert.ok(Math.abs(variance - 1) < 5 * Math.sqrt((2 * tau) / n), `variance ${variance}`);
});

Deno.test("metropolis() refuses a non-positive scale, a bad length, or a state of the wrong dimension", () => {
  const start: ChainState = { x: [0, 0], rng: seedRng(1) };
  assert.throws(() => metropolis(start, { target: banana, scale: 0, length: 10 }), /scale/);
  assert.throws(() => metropolis(start, { target: banana, scale: 1, length: 0 }), /length/);
  assert.throws(() => metropolis(start, { target: banana, scale: 1, length: 1.5 }), /length/);
  assert.throws(
    () => metropolis(start, { target: { kind: "normal", dim: 3 }, scale: 1, length: 10 }),
    /coordinates/,
  );
});
