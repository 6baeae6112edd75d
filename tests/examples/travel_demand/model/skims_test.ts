import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "../../../../examples/travel_demand/config.ts";
import { distanceMatrix, freeFlowSkims } from "../../../../examples/travel_demand/model/skims.ts";

Deno.test("distanceMatrix() is symmetric with the intrazonal distance on the diagonal", () => {
  const m = distanceMatrix([0, 2, 5], 0.7);
  for (let o = 0; o < 3; o++) {
    assert.equal(m[o * 3 + o], 0.7);
    for (let d = 0; d < 3; d++) assert.equal(m[o * 3 + d], m[d * 3 + o]);
  }
  assert.equal(m[0 * 3 + 2], 5);
});

Deno.test("freeFlowSkims(): the perturbation factor scales car driving time only", () => {
  const miles = distanceMatrix([0, 2, 4], 0.7);
  const base = freeFlowSkims(miles, DEFAULT_CONFIG.network);
  const slow = freeFlowSkims(miles, { ...DEFAULT_CONFIG.network, carTimeFactor: 2 });
  const access = DEFAULT_CONFIG.network.accessMinutes.car;
  for (let i = 0; i < 9; i++) {
    assert.ok(Math.abs(slow.time.car[i]! - access - 2 * (base.time.car[i]! - access)) < 1e-9);
    assert.equal(slow.time.transit[i], base.time.transit[i]);
    assert.equal(slow.time.walk[i], base.time.walk[i]);
    assert.equal(slow.cost.car[i], base.cost.car[i]);
  }
  assert.ok(base.time.walk[2]! > base.time.car[2]!, "walking is slower than driving");
});
