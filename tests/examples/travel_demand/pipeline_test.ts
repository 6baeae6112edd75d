// End to end: the travel-demand model for 3 iterations, then for 5 over the same
// store, reuses iterations 0–2 of every step and runs only 3–4; its results are
// the bytes a fresh 5-iteration run in another store computes.
import assert from "node:assert/strict";
import { Effect } from "effect";
import { type Invocation, Pipeline, Table } from "../../../mod.ts";
import { MODES } from "../../../examples/travel_demand/config.ts";
import {
  type TravelDemandOutputs,
  travelDemandScenario,
} from "../../../examples/travel_demand/pipeline.ts";

Deno.env.set("CAIRN_PROGRESS", "0");

const LOOP_STEPS = [
  "logsums",
  "trip_distribution",
  "utilities",
  "mode_choice",
  "assignment",
  "traffic_simulation",
];

interface Result {
  readonly outputs: TravelDemandOutputs;
  readonly invocations: readonly Invocation[];
  readonly shares: readonly { iteration: number; mode: string; share: number }[];
}

const runModel = (root: string, iterations: number): Promise<Result> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const outputs = yield* travelDemandScenario("travel", iterations);
      const { store } = yield* Pipeline;
      const record = yield* store.readRecord((yield* store.readRef("scenarios/travel"))!);
      const bytes = yield* store.readBlob(outputs.modeShares.id);
      const shares = yield* Effect.promise(() => Promise.resolve(Table.decode(bytes)));
      return {
        outputs,
        invocations: record.invocations as unknown as Invocation[],
        shares: shares as unknown as Result["shares"],
      };
    }).pipe(Effect.provide(Pipeline.layerDisk({ root }))),
  );

const ids = (o: TravelDemandOutputs) => ({
  skims: o.skims.id,
  trips: o.trips.id,
  choices: o.choices.map((c) => c.id),
  modeShares: o.modeShares.id,
  miles: o.miles.id,
  plots: o.plots.id,
});

Deno.test("3 then 5 iterations: 0–2 are hits for every step, 3–4 run, as a fresh run computes", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-travel-" });
  try {
    const three = await runModel(`${dir}/a`, 3);
    assert.ok(three.invocations.every((i) => !i.hit), "a new store runs everything");
    assert.equal(three.invocations.length, 1 + 3 * LOOP_STEPS.length + 1);

    const five = await runModel(`${dir}/a`, 5);
    const at = (step: string, iteration: number | null) =>
      five.invocations.filter((i) => i.step === step && i.iteration === iteration);
    assert.deepEqual(at("init", null).map((i) => i.hit), [true]);
    for (const step of LOOP_STEPS) {
      for (let i = 0; i < 5; i++) {
        assert.deepEqual(at(step, i).map((inv) => inv.hit), [i < 3], `${step}@${i}`);
      }
    }
    assert.deepEqual(at("summaries", null).map((i) => i.hit), [false], "summaries reads all 5");
    assert.equal(five.invocations.length, 1 + 5 * LOOP_STEPS.length + 1);
    // The hits are the very runs the 3-iteration scenario recorded.
    const runsOf = (r: Result, below: number) =>
      r.invocations.filter((i) => i.iteration !== null && i.iteration < below).map((i) => i.run);
    assert.deepEqual(runsOf(five, 3), runsOf(three, 3));

    const fresh = await runModel(`${dir}/b`, 5);
    assert.ok(fresh.invocations.every((i) => !i.hit), "the other store runs everything");
    assert.deepEqual(
      ids(five.outputs),
      ids(fresh.outputs),
      "same bytes as a fresh 5-iteration run",
    );
    assert.deepEqual(five.outputs.choices.slice(0, 3).map((c) => c.id), ids(three.outputs).choices);

    // The summary holds every iteration, and each iteration's shares sum to 1.
    assert.equal(five.shares.length, 5 * MODES.length);
    for (let i = 0; i < 5; i++) {
      const total = five.shares.filter((s) => s.iteration === i).reduce((a, s) => a + s.share, 0);
      assert.ok(Math.abs(total - 1) < 1e-9, `iteration ${i}: ${total}`);
    }
    // Congestion feeds back: iteration 1 sees iteration 0's traffic, so shares move.
    const car = (i: number) =>
      five.shares.find((s) => s.iteration === i && s.mode === "car")!.share;
    assert.notEqual(car(1), car(0));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
