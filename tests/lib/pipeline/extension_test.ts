// Extending an iterated scenario: a run of 10 iterations, then of 15 over the same
// store, reuses iterations 0–9 and runs only 10–14; the result is the one a fresh
// 15-iteration run computes.
import assert from "node:assert/strict";
import { Effect } from "effect";
import { type Artifact, iterate, Json, Pipeline, scenario, step } from "../../../mod.ts";

Deno.env.set("CAIRN_PROGRESS", "0");

// Which step bodies actually ran, as "step@iteration".
const executed: string[] = [];

const seed = step({
  name: "seed",
  outputs: { x: Json },
  run: () => ({ x: 1 }),
});

const observe = step({
  name: "observe",
  inputs: { x: Json },
  outputs: { y: Json },
  run: ({ x }, _config, ctx) => {
    executed.push(`observe@${ctx.iteration}`);
    return { y: x * 2 + (ctx.iteration ?? 0) };
  },
});

const adjust = step({
  name: "adjust",
  inputs: { y: Json },
  outputs: { z: Json },
  run: ({ y }, _config, ctx) => {
    executed.push(`adjust@${ctx.iteration}`);
    return { z: y - 1 };
  },
});

const settle = step({
  name: "settle",
  inputs: { x: Json, z: Json },
  outputs: { x: Json },
  run: ({ x, z }, _config, ctx) => {
    executed.push(`settle@${ctx.iteration}`);
    return { x: (x + z) % 1000 };
  },
});

/** The same computation without cairn. */
const expected = (n: number): number => {
  let x = 1;
  for (let i = 0; i < n; i++) x = (x + (x * 2 + i - 1)) % 1000;
  return x;
};

interface Invocation {
  readonly step: string;
  readonly iteration: number | null;
  readonly run: string;
  readonly hit: boolean;
}

/** Runs `n` iterations as scenario "extend"; returns the final artifact, its value and the record. */
const runIterations = (root: string, n: number) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const final: Artifact = yield* scenario(
        "extend",
        { config: { n } },
        Effect.gen(function* () {
          const { x } = yield* seed({});
          return yield* iterate({ times: n }, x, (state) =>
            Effect.gen(function* () {
              const { y } = yield* observe({ x: state });
              const { z } = yield* adjust({ y });
              return (yield* settle({ x: state, z })).x;
            }));
        }),
      );
      const { store } = yield* Pipeline;
      const record = yield* store.readRecord((yield* store.readRef("scenarios/extend"))!);
      const value: number = JSON.parse(new TextDecoder().decode(yield* store.readBlob(final.id)));
      return { final, value, invocations: record.invocations as unknown as Invocation[] };
    }).pipe(Effect.provide(Pipeline.layerDisk({ root }))),
  );

const withRoots = async (f: (a: string, b: string) => Promise<void>) => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-extension-" });
  try {
    await f(`${dir}/a`, `${dir}/b`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
};

const perIteration = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, k) => from + k).flatMap((i) =>
    ["observe", "adjust", "settle"].map((s) => `${s}@${i}`)
  );

Deno.test("extending 10 iterations to 15 reuses 0–9, runs 10–14, and matches a fresh run", async () => {
  await withRoots(async (root, freshRoot) => {
    executed.length = 0;
    const ten = await runIterations(root, 10);
    assert.deepEqual(executed, perIteration(0, 10));
    assert.equal(ten.value, expected(10));

    executed.length = 0;
    const fifteen = await runIterations(root, 15);
    assert.deepEqual(executed, perIteration(10, 15), "only iterations 10–14 ran");
    const [seedRun, ...rest] = fifteen.invocations;
    assert.deepEqual([seedRun!.step, seedRun!.iteration, seedRun!.hit], ["seed", null, true]);
    assert.equal(rest.length, 45);
    for (const inv of rest) {
      assert.equal(inv.hit, inv.iteration! < 10, `${inv.step}@${inv.iteration}`);
    }
    // The hits are the very runs the 10-iteration scenario recorded.
    assert.deepEqual(
      fifteen.invocations.slice(0, 31).map((i) => i.run),
      ten.invocations.map((i) => i.run),
    );

    executed.length = 0;
    const fresh = await runIterations(freshRoot, 15);
    assert.deepEqual(executed, perIteration(0, 15));
    assert.ok(fresh.invocations.every((i) => !i.hit));
    assert.equal(fifteen.final.id, fresh.final.id, "same bytes as a fresh 15-iteration run");
    assert.equal(fifteen.value, fresh.value);
    assert.equal(fifteen.value, expected(15));
  });
});
