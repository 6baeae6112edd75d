import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "../../../../examples/travel_demand/config.ts";
import {
  logsum,
  modeUtilities,
  probabilities,
} from "../../../../examples/travel_demand/model/logit.ts";
import { distanceMatrix, freeFlowSkims } from "../../../../examples/travel_demand/model/skims.ts";

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

Deno.test("probabilities() sum to 1 and order like the utilities", () => {
  const p = probabilities([-1.2, 0.3, -0.4]);
  assert.ok(Math.abs(sum(p) - 1) < 1e-12);
  assert.ok(p[1]! > p[2]! && p[2]! > p[0]!);
});

Deno.test("logsum() is ln Σ exp and does not overflow on large utilities", () => {
  assert.ok(
    Math.abs(logsum([0.5, -1, 2]) - Math.log(Math.exp(0.5) + Math.exp(-1) + Math.exp(2))) < 1e-12,
  );
  const big = logsum([1000, 1000]);
  assert.ok(Number.isFinite(big));
  assert.ok(Math.abs(big - (1000 + Math.LN2)) < 1e-9);
  assert.ok(logsum([3, 1]) > 3, "a logsum exceeds the best utility");
});

Deno.test("modeUtilities(): parking cost lowers only car; higher income weighs cost less", () => {
  const skims = freeFlowSkims(distanceMatrix([0, 4], 0.7), DEFAULT_CONFIG.network);
  const mc = DEFAULT_CONFIG.modeChoice;
  const free = modeUtilities(skims, 0, 1, 0, mc.referenceIncome, mc);
  const paid = modeUtilities(skims, 0, 1, 6, mc.referenceIncome, mc);
  assert.ok(paid.car < free.car);
  assert.equal(paid.transit, free.transit);
  assert.equal(paid.walk, free.walk);
  const rich = modeUtilities(skims, 0, 1, 6, mc.referenceIncome * 4, mc);
  assert.ok(rich.car > paid.car, "the same cost matters less to a richer person");
  assert.ok(free.walk < free.car, "four miles on foot is worse than by car");
});
