import assert from "node:assert/strict";
import { odCarVolumes } from "../../../../examples/travel_demand/model/assignment.ts";

Deno.test("odCarVolumes() counts car trips only, expanded and divided by occupancy", () => {
  const trip = (origin: number, destination: number, mode: string) => ({
    trip: 0,
    person: 0,
    origin,
    destination,
    mode,
  });
  const rows = odCarVolumes(
    [
      trip(1, 2, "car"),
      trip(1, 2, "car"),
      trip(1, 2, "walk"),
      trip(2, 1, "transit"),
      trip(2, 2, "car"),
    ],
    2,
    5,
    2,
  );
  assert.equal(rows.length, 4, "every pair, zeros included");
  const at = (o: number, d: number) =>
    rows.find((r) => r.origin === o && r.destination === d)!.vehicles;
  assert.equal(at(1, 2), 5);
  assert.equal(at(2, 1), 0);
  assert.equal(at(2, 2), 2.5);
  assert.equal(at(1, 1), 0);
});
