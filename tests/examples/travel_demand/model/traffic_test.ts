import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "../../../../examples/travel_demand/config.ts";
import { distanceMatrix, freeFlowSkims } from "../../../../examples/travel_demand/model/skims.ts";
import {
  bpr,
  congestedSkims,
  linkVolumes,
} from "../../../../examples/travel_demand/model/traffic.ts";

Deno.test("BPR is free flow at zero volume and raises time with volume", () => {
  assert.equal(bpr(10, 0, 1000, 0.15, 4), 10);
  let previous = 10;
  for (const v of [200, 600, 1000, 1500, 3000]) {
    const t = bpr(10, v, 1000, 0.15, 4);
    assert.ok(t > previous, `${v}: ${t}`);
    previous = t;
  }
  assert.ok(Math.abs(bpr(10, 1000, 1000, 0.15, 4) - 11.5) < 1e-12);
});

Deno.test("linkVolumes() loads every link on the path, by direction", () => {
  const loads = linkVolumes([
    { origin: 1, destination: 4, vehicles: 10 },
    { origin: 3, destination: 2, vehicles: 7 },
    { origin: 2, destination: 2, vehicles: 99 },
  ], 4);
  assert.deepEqual([...loads.up], [10, 10, 10]);
  assert.deepEqual([...loads.down], [0, 7, 0]);
});

const positions = [0, 2, 4];
const skims = freeFlowSkims(distanceMatrix(positions, 0.7), DEFAULT_CONFIG.network);
const flow = (vehicles: number) =>
  congestedSkims(
    skims,
    [{ origin: 1, destination: 3, vehicles }],
    positions,
    DEFAULT_CONFIG.network,
    DEFAULT_CONFIG.assignment,
  );

Deno.test("traffic raises car times on the loaded path only, and more with more traffic", () => {
  const light = flow(500);
  const heavy = flow(3000);
  const at = (o: number, d: number) => (o - 1) * 3 + (d - 1);
  assert.ok(light.time.car[at(1, 3)]! > skims.time.car[at(1, 3)]!);
  assert.ok(heavy.time.car[at(1, 3)]! > light.time.car[at(1, 3)]!);
  assert.ok(heavy.time.car[at(1, 2)]! > skims.time.car[at(1, 2)]!, "1→2 shares the first link");
  assert.ok(
    Math.abs(heavy.time.car[at(3, 1)]! - skims.time.car[at(3, 1)]!) < 1e-9,
    "other way free",
  );
  assert.equal(heavy.time.car[at(2, 2)], skims.time.car[at(2, 2)]);
  assert.deepEqual(heavy.time.transit, skims.time.transit);
  assert.deepEqual(heavy.cost.car, skims.cost.car);
});

Deno.test("relaxation weighs the congested time against the previous one", () => {
  const at = 2; // zone 1 → zone 3
  const full = congestedSkims(
    skims,
    [{ origin: 1, destination: 3, vehicles: 3000 }],
    positions,
    DEFAULT_CONFIG.network,
    { ...DEFAULT_CONFIG.assignment, relaxation: 1 },
  );
  const none = congestedSkims(
    skims,
    [{ origin: 1, destination: 3, vehicles: 3000 }],
    positions,
    DEFAULT_CONFIG.network,
    { ...DEFAULT_CONFIG.assignment, relaxation: 0 },
  );
  const half = flow(3000);
  const λ = DEFAULT_CONFIG.assignment.relaxation;
  assert.equal(none.time.car[at], skims.time.car[at]);
  const expected = skims.time.car[at]! + λ * (full.time.car[at]! - skims.time.car[at]!);
  assert.ok(Math.abs(half.time.car[at]! - expected) < 1e-9);
});
