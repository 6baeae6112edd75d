import assert from "node:assert/strict";
import {
  iterationMiles,
  modeShareRows,
  modeShares,
} from "../../../../examples/travel_demand/model/summaries.ts";

const choice = (origin: number, destination: number, mode: string) => ({
  trip: 0,
  person: 0,
  origin,
  destination,
  mode,
});
const choices = [
  choice(1, 2, "car"),
  choice(1, 2, "car"),
  choice(2, 1, "transit"),
  choice(1, 1, "walk"),
];

Deno.test("mode shares sum to 1 and count each mode", () => {
  const s = modeShares(choices);
  assert.deepEqual(s, { car: 0.5, transit: 0.25, walk: 0.25 });
  for (let i = 0; i < 3; i++) {
    const rows = modeShareRows([choices, choices.slice(1)]).filter((r) => r.iteration === i % 2);
    assert.ok(Math.abs(rows.reduce((a, r) => a + r.share, 0) - 1) < 1e-12);
  }
});

Deno.test("iterationMiles() expands person miles by mode and divides car miles by occupancy", () => {
  const miles = new Float64Array([0.5, 3, 3, 0.5]);
  const m = iterationMiles(4, choices, miles, 10, 1.5);
  assert.equal(m.iteration, 4);
  assert.equal(m.pmt_car, 60);
  assert.equal(m.pmt_transit, 30);
  assert.equal(m.pmt_walk, 5);
  assert.equal(m.vmt, 40);
});
