import assert from "node:assert/strict";
import { createRng, sampleIndex, streamRng } from "../../../examples/travel_demand/rng.ts";

const draws = (rng: { next: () => number }, n: number) => Array.from({ length: n }, rng.next);

Deno.test("createRng() gives the same sequence for the same seed and another for another", () => {
  assert.deepEqual(draws(createRng(7), 50), draws(createRng(7), 50));
  assert.notDeepEqual(draws(createRng(7), 50), draws(createRng(8), 50));
});

Deno.test("createRng() draws lie in [0, 1) and spread over it", () => {
  const xs = draws(createRng(123), 10_000);
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.02, `mean ${mean}`);
  assert.ok(new Set(xs).size > 9_990, "draws barely repeat");
});

Deno.test("a generator's state continues its stream exactly", () => {
  const rng = createRng(99);
  draws(rng, 17);
  const resumed = createRng(rng.state());
  assert.deepEqual(draws(resumed, 20), draws(rng, 20));
});

Deno.test("streamRng() separates streams of one seed and reproduces each", () => {
  assert.deepEqual(draws(streamRng(5, "a"), 10), draws(streamRng(5, "a"), 10));
  assert.notDeepEqual(draws(streamRng(5, "a"), 10), draws(streamRng(5, "b"), 10));
  assert.notDeepEqual(draws(streamRng(5, "a"), 10), draws(streamRng(6, "a"), 10));
});

Deno.test("sampleIndex() never picks a zero weight and follows the weights", () => {
  const rng = createRng(1);
  const counts = [0, 0, 0];
  for (let i = 0; i < 20_000; i++) counts[sampleIndex([1, 0, 3], rng)]!++;
  assert.equal(counts[1], 0);
  assert.ok(Math.abs(counts[2]! / 20_000 - 0.75) < 0.02, `share ${counts[2]! / 20_000}`);
});

Deno.test("streamRng() gives neighbouring seeds (seed + i) unrelated streams", () => {
  const firsts = Array.from({ length: 1000 }, (_, i) => streamRng(i, "trip_distribution").next());
  assert.equal(new Set(firsts).size, 1000);
  const mean = firsts.reduce((a, b) => a + b, 0) / firsts.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
});
