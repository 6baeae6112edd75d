// What a failed run says: the scenario the step failed in, and under CAIRN_DEBUG where
// the step's exception was thrown (its stack, from a worker too).
import assert from "node:assert/strict";
import { withProject } from "./_project.ts";

const FILES = {
  "steps.ts": `import { Json, step } from "cairn";

const invert = (m: number) => {
  if (m === 0) throw new RangeError("the matrix is singular");
  return 1 / m;
};

export const solve = step({
  name: "solve",
  inputs: { m: Json },
  outputs: { x: Json },
  run: ({ m }) => ({ x: invert(m) }),
});
`,
  "pipeline.ts": `import { Effect } from "effect";
import { input, run, sweep } from "cairn";
import { solve } from "./steps.ts";

if (import.meta.main) {
  await run(sweep("grid", { ok: 2, bad: 0 }, (m) =>
    Effect.flatMap(input.value(m), (v) => solve({ m: v }))));
}
`,
};

for (const workers of ["0", "2"]) {
  const where = workers === "0" ? "in process" : "in a worker";
  Deno.test(`a step's failure (${where}) names its scenario; CAIRN_DEBUG adds where it was thrown`, async () => {
    await withProject(FILES, async (p) => {
      const plain = await p.run({ env: { CAIRN_WORKERS: workers, CAIRN_DEBUG: "" }, fails: true });
      assert.match(
        plain.stderr,
        /grid\/bad: Step "solve" failed in scenario "grid\/bad": the matrix is singular/,
      );
      assert.doesNotMatch(plain.stderr, /^\s+at /m, `no stack unless asked:\n${plain.stderr}`);
      const debug = await p.run({
        env: { CAIRN_WORKERS: workers, CAIRN_DEBUG: "cache" },
        fails: true,
      });
      assert.match(
        debug.stderr,
        /RangeError: the matrix is singular\n\s+at invert \(.*steps\.ts:4:/,
      );
    });
  });
}
