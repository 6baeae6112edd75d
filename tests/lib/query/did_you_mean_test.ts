import assert from "node:assert/strict";
import { closestNames, didYouMean } from "../../../lib/query/did_you_mean.ts";

const STEPS = ["logsums", "mode_choice", "assignment", "congestion", "traffic_simulation"];

Deno.test("closestNames() finds a name with two letters swapped, one missing, one extra or one wrong", () => {
  assert.deepEqual(closestNames("congestoin", STEPS), ["congestion"]);
  assert.deepEqual(closestNames("equilibirum", ["equilibrium", "baseline"]), ["equilibrium"]);
  assert.deepEqual(closestNames("logsum", STEPS), ["logsums"]);
  assert.deepEqual(closestNames("mode_choices", STEPS), ["mode_choice"]);
  assert.deepEqual(closestNames("assignmant", STEPS), ["assignment"]);
  assert.deepEqual(closestNames("Congestion", STEPS), ["congestion"], "case is ignored");
});

Deno.test("closestNames() gives nothing for a name far from every known one, and only the best", () => {
  assert.deepEqual(closestNames("zzz", STEPS), []);
  assert.deepEqual(closestNames("skims", STEPS), []);
  assert.deepEqual(closestNames("", STEPS), []);
  // "grow" is one edit away from "grew" and two from "glow": only the nearest is named.
  assert.deepEqual(closestNames("grew", ["grow", "glow"]), ["grow"]);
  assert.deepEqual(closestNames("ab", ["ac", "ad", "xy"]), ["ac", "ad"]);
  assert.deepEqual(closestNames("congestion", STEPS), [], "an exact name is not a suggestion");
});

Deno.test("didYouMean() words one or several suggestions, else gives the fallback", () => {
  assert.equal(didYouMean("congestoin", STEPS, "list them"), 'did you mean "congestion"?');
  assert.equal(didYouMean("ab", ["ac", "ad"], "list them"), 'did you mean "ac" or "ad"?');
  assert.equal(didYouMean("ab", ["ac", "ad", "ae"], "x"), 'did you mean "ac", "ad" or "ae"?');
  assert.equal(didYouMean("zzz", STEPS, "list them"), "list them");
});
