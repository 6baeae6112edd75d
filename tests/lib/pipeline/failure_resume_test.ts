// A scenario whose step fails part-way: the failure is a typed PipelineError naming
// the step and iteration, the scenario record keeps what completed, and the next run
// resumes from the cache.
import assert from "node:assert/strict";
import { Effect } from "effect";
import { iterate, Json, Pipeline, PipelineError, scenario, step } from "../../../mod.ts";
import type { ScenarioInvocation } from "../../../lib/query/mod.ts";

Deno.env.set("CAIRN_PROGRESS", "0");

// The fault switch lives outside the step's key (as a crash or a bug fixed elsewhere
// would): flipping it must not change which runs are reused.
const fault = { atIteration: null as number | null };
const executed: string[] = [];

const start = step({
  name: "start",
  outputs: { x: Json },
  run: () => ({ x: 100 }),
});

const advance = step({
  name: "advance",
  inputs: { x: Json },
  outputs: { x: Json },
  run: ({ x }, _config, ctx) => {
    executed.push(`advance@${ctx.iteration}`);
    if (ctx.iteration === fault.atIteration) throw new Error("injected fault");
    return { x: x + 3 };
  },
});

const halve = step({
  name: "halve",
  inputs: { x: Json },
  outputs: { x: Json },
  run: ({ x }, _config, ctx) => {
    executed.push(`halve@${ctx.iteration}`);
    return { x: Math.floor(x / 2) };
  },
});

const program = scenario(
  "resume",
  {},
  Effect.gen(function* () {
    const { x } = yield* start({});
    return yield* iterate({ times: 6 }, x, (state) =>
      advance({ x: state }).pipe(
        Effect.flatMap((a) => halve({ x: a.x })),
        Effect.map((h) => h.x),
      ));
  }),
);

type Invocation = ScenarioInvocation; // as the scenario record lists it

/** Runs the program; returns how it ended and the newest "resume" scenario record. */
const runOnce = (root: string) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const outcome = yield* Effect.result(program);
      const { store } = yield* Pipeline;
      const id = (yield* store.readRef("scenarios/resume"))!;
      const record = yield* store.readRecord(id);
      const runsReadable = yield* Effect.forEach(
        (record.invocations as unknown as Invocation[]).flatMap((i) => (i.run ? [i.run] : [])),
        (run) => Effect.map(store.readRecord(run), (r) => r.type === "run"),
      );
      let value: number | undefined;
      if (outcome._tag === "Success") {
        value = JSON.parse(new TextDecoder().decode(yield* store.readBlob(outcome.success.id)));
      }
      return { outcome, id, record, runsReadable, value };
    }).pipe(Effect.provide(Pipeline.layerDisk({ root }))),
  );

const summary = (invocations: readonly Invocation[]) =>
  invocations.map((i) => `${i.step}@${i.iteration ?? "-"} ${i.hit ? "hit" : "miss"} ${i.status}`);

Deno.test("a step failing at iteration 3 is reported, recorded, and resumed from the cache", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-resume-" });
  try {
    const root = `${dir}/store`;
    fault.atIteration = 3;
    executed.length = 0;
    const failed = await runOnce(root);

    assert.equal(failed.outcome._tag, "Failure");
    const error = failed.outcome._tag === "Failure" ? failed.outcome.failure : undefined;
    assert.ok(error instanceof PipelineError, `expected a PipelineError, got ${error}`);
    assert.equal(error.reason._tag, "StepFailed");
    if (error.reason._tag === "StepFailed") {
      assert.equal(error.reason.step, "advance");
      assert.equal(error.reason.iteration, 3);
    }
    assert.match(
      error.message,
      /Step "advance" failed in iteration 3 of scenario "resume": injected fault/,
    );

    assert.equal(failed.record.status, "failed");
    const invocations = failed.record.invocations as unknown as Invocation[];
    assert.deepEqual(summary(invocations), [
      "start@- miss ok",
      "advance@0 miss ok",
      "halve@0 miss ok",
      "advance@1 miss ok",
      "halve@1 miss ok",
      "advance@2 miss ok",
      "halve@2 miss ok",
      "advance@3 miss failed",
    ]);
    assert.equal(invocations.at(-1)!.run, null);
    assert.match(invocations.at(-1)!.error ?? "", /injected fault/);
    assert.deepEqual(failed.runsReadable, Array(7).fill(true), "every completed run is stored");

    fault.atIteration = null;
    executed.length = 0;
    const resumed = await runOnce(root);
    assert.equal(resumed.outcome._tag, "Success");
    assert.equal(resumed.record.status, "ok");
    assert.equal(resumed.record.parent, failed.id);
    assert.deepEqual(summary(resumed.record.invocations as unknown as Invocation[]), [
      "start@- hit ok",
      "advance@0 hit ok",
      "halve@0 hit ok",
      "advance@1 hit ok",
      "halve@1 hit ok",
      "advance@2 hit ok",
      "halve@2 hit ok",
      "advance@3 miss ok",
      "halve@3 miss ok",
      "advance@4 miss ok",
      "halve@4 miss ok",
      "advance@5 miss ok",
      "halve@5 miss ok",
    ]);
    assert.deepEqual(executed, [
      "advance@3",
      "halve@3",
      "advance@4",
      "halve@4",
      "advance@5",
      "halve@5",
    ]);
    let x = 100;
    for (let i = 0; i < 6; i++) x = Math.floor((x + 3) / 2);
    assert.equal(resumed.value, x);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
