// The steps of the "parallel" section, declared at module level so that the workers
// executor's processes find them by their addresses.
import { Json, step } from "../../mod.ts";

/** CPU-bound work: `work` rounds of a 32-bit generator from `seed` (no allocation). */
export const burnFor = (work: number, seed: number): number => {
  let x = (seed >>> 0) || 1;
  for (let i = 0; i < work; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    x ^= x >>> 7;
  }
  return x;
};

/** A scenario's start: its parameter. */
export const start = step({
  name: "bench.parallel.start",
  inputs: { param: Json },
  outputs: { state: Json },
  run: ({ param }) => ({ state: param }),
});

/** One iteration: `work` rounds from the state. */
export const burn = step({
  name: "bench.parallel.burn",
  inputs: { state: Json, work: Json },
  outputs: { state: Json },
  run: ({ state, work }) => ({ state: burnFor(work, state) }),
});

/** Next to no work: what the pool adds to an invocation. */
export const trivial = step({
  name: "bench.parallel.trivial",
  inputs: { i: Json },
  outputs: { y: Json },
  run: ({ i }) => ({ y: i }),
});
