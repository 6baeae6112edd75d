import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "../../../../examples/travel_demand/config.ts";
import {
  destinationProbabilities,
  distributeTrips,
} from "../../../../examples/travel_demand/model/destination_choice.ts";
import { personRows, zoneRows } from "../../../../examples/travel_demand/model/land_use.ts";
import { odLogsums } from "../../../../examples/travel_demand/model/logsums.ts";
import { distanceMatrix, freeFlowSkims } from "../../../../examples/travel_demand/model/skims.ts";
import { createRng } from "../../../../examples/travel_demand/rng.ts";

const zones = zoneRows(DEFAULT_CONFIG.zone);
const skims = freeFlowSkims(
  distanceMatrix(zones.map((z) => z.position), DEFAULT_CONFIG.zone.intrazonalMiles),
  DEFAULT_CONFIG.network,
);
const logsums = odLogsums(skims, zones, DEFAULT_CONFIG.modeChoice);
const dc = DEFAULT_CONFIG.destinationChoice;
const persons = personRows(DEFAULT_CONFIG.zone, 11);

Deno.test("destination probabilities from every origin sum to 1", () => {
  const p = destinationProbabilities(logsums, zones, dc);
  assert.equal(p.length, zones.length);
  for (const row of p) {
    assert.equal(row.length, zones.length);
    assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    assert.ok(row.every((x) => x > 0));
  }
});

Deno.test("more employment at a destination draws more trips to it", () => {
  const bigger = zones.map((z) => (z.zone === 5 ? { ...z, employment: z.employment * 4 } : z));
  const before = destinationProbabilities(logsums, zones, dc);
  const after = destinationProbabilities(logsums, bigger, dc);
  for (let o = 0; o < zones.length; o++) assert.ok(after[o]![4]! > before[o]![4]!);
});

Deno.test("distributeTrips() is reproducible from its seed and starts every trip at home", () => {
  const p = destinationProbabilities(logsums, zones, dc);
  const a = distributeTrips(persons, undefined, p, dc, createRng(3));
  const b = distributeTrips(persons, undefined, p, dc, createRng(3));
  const c = distributeTrips(persons, undefined, p, dc, createRng(4));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.equal(a.length, persons.length);
  a.forEach((t, i) => assert.equal(t.origin, persons[i]!.home_zone));
});

Deno.test("after iteration 0, about updateShare of the trips choose again", () => {
  const p = destinationProbabilities(logsums, zones, dc);
  const first = distributeTrips(persons, undefined, p, dc, createRng(3));
  assert.deepEqual(
    distributeTrips(persons, first, p, { ...dc, updateShare: 0 }, createRng(9)),
    first,
  );
  // Everyone choosing again towards zone 1 only: exactly the re-choosing trips move there.
  const toZone1 = p.map(() => [1, 0, 0, 0, 0]);
  const next = distributeTrips(persons, first, toZone1, { ...dc, updateShare: 0.3 }, createRng(9));
  const moved = next.filter((t, i) => t.destination !== first[i]!.destination).length;
  const eligible = first.filter((t) => t.destination !== 1).length;
  assert.ok(Math.abs(moved / eligible - 0.3) < 0.04, `moved ${moved} of ${eligible}`);
  next.forEach((t, i) => {
    if (t.destination !== first[i]!.destination) assert.equal(t.destination, 1);
  });
});
