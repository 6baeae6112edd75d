import assert from "node:assert/strict";
import { milesPlot, modeSharePlot } from "../../../examples/travel_demand/plots.ts";

const shares = [0, 1, 2].flatMap((iteration) => [
  { iteration, mode: "car", share: 0.6 - iteration / 100 },
  { iteration, mode: "transit", share: 0.2 },
  { iteration, mode: "walk", share: 0.2 + iteration / 100 },
]);

Deno.test("modeSharePlot() renders an SVG with a line per mode, the same bytes each time", async () => {
  const svg = await modeSharePlot(shares);
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>$/);
  for (const label of ["car", "transit", "walk", "Mode shares by iteration"]) {
    assert.ok(svg.includes(`>${label}<`), label);
  }
  assert.equal(await modeSharePlot(shares), svg);
});

Deno.test("milesPlot() renders VMT and person miles by mode", async () => {
  const svg = await milesPlot([
    { iteration: 0, vmt: 100, pmt_car: 115, pmt_transit: 40, pmt_walk: 10 },
    { iteration: 1, vmt: 90, pmt_car: 104, pmt_transit: 45, pmt_walk: 12 },
  ]);
  for (const label of ["VMT (car)", "PMT car", "PMT transit", "PMT walk"]) {
    assert.ok(svg.includes(`>${label}<`), label);
  }
});
