// The summary's per-block lines, warm-up handling and overall estimates.
import assert from "node:assert/strict";
import { summarize } from "../../../examples/mcmc/summarize.ts";

const normal = { kind: "normal", dim: 2 } as const;

// Two coordinates; draw i of a block is (offset + i % 4, −offset), accepted when i is even.
const block = (offset: number, n = 16) =>
  Array.from({ length: n }, (_, i) => ({
    draw: i,
    x1: -offset,
    x0: offset + (i % 4),
    accepted: i % 2 === 0,
  }));

Deno.test("summarize() reports per-block acceptance and means, and running means after warm-up", () => {
  const s = summarize([block(100), block(0), block(2)], { warmupBlocks: 1, target: normal });
  assert.deepEqual(s.coordinates.map((c) => c.name), ["x0", "x1"]);
  assert.deepEqual(s.blocks.map((b) => b.acceptance), [0.5, 0.5, 0.5]);
  assert.deepEqual(s.blocks.map((b) => b.mean), [[101.5, -100], [1.5, 0], [3.5, -2]]);
  // The warm-up block (far off at 100) enters no running mean and no estimate.
  assert.deepEqual(s.blocks.map((b) => b.runningMean), [null, [1.5, 0], [2.5, -1]]);
  assert.equal(s.draws, 32);
  assert.equal(s.acceptance, 0.5);
  assert.equal(s.coordinates[0]!.mean, 2.5);
  assert.equal(s.coordinates[1]!.mean, -1);
  assert.deepEqual(s.coordinates.map((c) => c.trueMean), [0, 0]);
});

Deno.test("summarize() counts only the accepted draws after warm-up in the overall rate", () => {
  const allAccepted = block(0).map((r) => ({ ...r, accepted: true }));
  const noneAccepted = block(0).map((r) => ({ ...r, accepted: false }));
  const s = summarize([allAccepted, noneAccepted, noneAccepted, allAccepted], {
    warmupBlocks: 1,
    target: normal,
  });
  assert.equal(s.acceptance, 1 / 3);
});

Deno.test("summarize() refuses a warm-up that leaves no blocks", () => {
  assert.throws(() => summarize([block(0)], { warmupBlocks: 1, target: normal }), /warm-up/);
  assert.throws(() => summarize([block(0)], { warmupBlocks: -1, target: normal }), /warm-up/);
});
