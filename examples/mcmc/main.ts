/**
 * The MCMC example: a Metropolis–Hastings chain on a banana-shaped target, run in
 * blocks (one step each; the state between blocks is the last sample and the
 * generator state). It runs 10 blocks, then 15 over the same store — blocks 0–9
 * are reused, only 10–14 run — and prints the convergence summary.
 *
 * Store: `$CAIRN_STORE`, else `./.cairn`. Run:
 * `npx -y deno@2 run --allow-all examples/mcmc/main.ts`
 *
 * @module
 */
import { Effect } from "effect";
import { Pipeline, run } from "../../mod.ts";
import { runChain, type Settle } from "./chain.ts";

const SETTLE: Settle = { max: 40, tolerance: 0.01 };
import { reuseLine, summaryLines } from "./report.ts";
import { settings } from "./steps.ts";

const timed = (blocks: number) =>
  Effect.gen(function* () {
    const t0 = performance.now();
    const result = yield* runChain(blocks);
    const seconds = (performance.now() - t0) / 1000;
    console.log(`${blocks} blocks: ${seconds.toFixed(2)} s wall; ${reuseLine(result.invocations)}`);
    return result;
  });

const program = Effect.gen(function* () {
  const { store } = yield* Pipeline;
  const { target, scale, length } = settings;
  console.log(`store: ${store.root}`);
  console.log(
    `target: ${JSON.stringify(target)}; proposal scale ${scale}; ${length} draws per block\n`,
  );
  yield* timed(10);
  const fifteen = yield* timed(15);
  console.log(`\nconvergence summary (${fifteen.samples.length} blocks):`);
  for (const line of summaryLines(fifteen.summary)) console.log(line);
  // Then as many blocks as it takes for the block means of x0 to settle: iterate with
  // `until` (the blocks already run are reused; the record says whether it converged).
  const t0 = performance.now();
  const settled = yield* runChain(SETTLE);
  console.log(
    `\nuntil the block means of x0 move less than ${SETTLE.tolerance} (max ${SETTLE.max} blocks): ${settled.samples.length} blocks, ${
      ((performance.now() - t0) / 1000).toFixed(2)
    } s wall; ${reuseLine(settled.invocations)}`,
  );
});

if (import.meta.main) await run(program);
