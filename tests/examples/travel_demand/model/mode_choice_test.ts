import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "../../../../examples/travel_demand/config.ts";
import { personRows, zoneRows } from "../../../../examples/travel_demand/model/land_use.ts";
import {
  chooseModes,
  tripUtilities,
} from "../../../../examples/travel_demand/model/mode_choice.ts";
import { distanceMatrix, freeFlowSkims } from "../../../../examples/travel_demand/model/skims.ts";
import { modeShares } from "../../../../examples/travel_demand/model/summaries.ts";
import { streamRng } from "../../../../examples/travel_demand/rng.ts";

const zones = zoneRows(DEFAULT_CONFIG.zone);
const skims = freeFlowSkims(
  distanceMatrix(zones.map((z) => z.position), DEFAULT_CONFIG.zone.intrazonalMiles),
  DEFAULT_CONFIG.network,
);
const persons = personRows(DEFAULT_CONFIG.zone, 5);
const trips = persons.map((p) => ({
  trip: p.person,
  person: p.person,
  origin: p.home_zone,
  destination: 1 + (p.person % 5),
}));
const utilities = tripUtilities(trips, persons, zones, skims, DEFAULT_CONFIG.modeChoice);
const draw = (seed: number) => (trip: number) => streamRng(seed, `mode_choice:${trip}`).next();

Deno.test("tripUtilities() gives one row per trip with a utility for every mode", () => {
  assert.equal(utilities.length, trips.length);
  for (const u of utilities) {
    for (const v of [u.u_car, u.u_transit, u.u_walk]) assert.ok(Number.isFinite(v));
  }
});

Deno.test("seeded mode choice is reproducible, and another seed draws differently", () => {
  assert.deepEqual(chooseModes(utilities, draw(1)), chooseModes(utilities, draw(1)));
  assert.notDeepEqual(chooseModes(utilities, draw(1)), chooseModes(utilities, draw(2)));
});

Deno.test("mode shares sum to 1 and match the mean logit probabilities", () => {
  const choices = chooseModes(utilities, draw(1));
  const shares = modeShares(choices);
  assert.ok(Math.abs(shares.car + shares.transit + shares.walk - 1) < 1e-12);
  const expectedCar = utilities.reduce((acc, u) => {
    const e = [u.u_car, u.u_transit, u.u_walk].map(Math.exp);
    return acc + e[0]! / (e[0]! + e[1]! + e[2]!);
  }, 0) / utilities.length;
  assert.ok(Math.abs(shares.car - expectedCar) < 0.03, `${shares.car} vs ${expectedCar}`);
});

Deno.test("a dominant utility wins whatever the draw", () => {
  const row = { ...trips[0]!, u_car: -40, u_transit: 5, u_walk: -40 };
  for (const u of [0.001, 0.3, 0.999]) {
    assert.equal(chooseModes([row], () => u)[0]!.mode, "transit");
  }
});

Deno.test("with a fixed draw per trip, a trip changes mode only when its utilities change", () => {
  const before = chooseModes(utilities, draw(1));
  const changed = utilities.map((u, i) => (i % 2 ? { ...u, u_car: u.u_car - 3 } : u));
  const after = chooseModes(changed, draw(1));
  after.forEach((c, i) => {
    if (i % 2 === 0) assert.equal(c.mode, before[i]!.mode);
    else if (before[i]!.mode !== "car") assert.equal(c.mode === "car", false);
  });
  assert.ok(modeShares(after).car < modeShares(before).car);
});
