// sweep: one program over many configurations, each a recorded scenario, run at once;
// one scenario's failure does not stop the others. input.value: a value as an input,
// keyed by its content.
import assert from "node:assert/strict";
import { Effect } from "effect";
import {
  input,
  Json,
  Pipeline,
  PipelineError,
  step,
  sweep,
  SweepFailed,
  workers,
} from "../../../mod.ts";
import { meetA, meetB } from "./workers/_steps.ts";

Deno.env.set("CAIRN_PROGRESS", "0");

let computed = 0;
const grow = step({
  name: "sweep.grow",
  inputs: { rate: Json },
  outputs: { x: Json },
  run: ({ rate }) => {
    computed++;
    return { x: 10 * rate };
  },
});

// Fails for a negative rate, after the others have started; the others take a while.
const settle = step({
  name: "sweep.settle",
  inputs: { rate: Json },
  outputs: { x: Json },
  run: async ({ rate }) => {
    if (rate < 0) throw new RangeError(`rate ${rate} is negative`);
    await new Promise((r) => setTimeout(r, 150));
    return { x: rate };
  },
});

const read = (id: string) =>
  Effect.gen(function* () {
    const { store } = yield* Pipeline;
    return Json.decode(yield* store.readBlob(id));
  });

const recordOf = (name: string) =>
  Effect.gen(function* () {
    const { store } = yield* Pipeline;
    const id = yield* store.readRef(`scenarios/${name}`);
    assert.ok(id, `scenario ${name} is recorded`);
    return (yield* store.readRecord(id)) as Record<string, unknown>;
  });

Deno.test("sweep runs each configuration as a scenario <name>/<label>, recorded with its config, tag and facets", async () => {
  await Effect.runPromise(
    Effect.gen(function* () {
      const values = yield* sweep(
        "rates",
        { low: { rate: 1, label: "l" }, high: { rate: 2, label: "h" } },
        (config) =>
          Effect.gen(function* () {
            const { x } = yield* grow({ rate: yield* input.value(config.rate) });
            return yield* read(x.id);
          }),
      );
      assert.deepEqual(values, { low: 10, high: 20 });
      const low = yield* recordOf("rates/low");
      assert.equal(low.status, "ok");
      assert.deepEqual(low.config, { rate: 1, label: "l" });
      assert.deepEqual(low.tags, ["rates"]);
      assert.deepEqual(low.facets, { rate: 1, label: "l" });
      assert.equal((yield* recordOf("rates/high")).status, "ok");
    }).pipe(Effect.provide(Pipeline.layerTemp)),
  );
});

Deno.test("one failing scenario does not stop the others: each runs to its end, and the sweep then fails naming it", async () => {
  const exit = await Effect.runPromise(
    Effect.gen(function* () {
      const outcome = yield* Effect.exit(
        sweep("settling", { a: 1, bad: -1, c: 3 }, (rate) =>
          Effect.gen(function* () {
            const { x } = yield* settle({ rate: yield* input.value(rate) });
            return yield* read(x.id);
          })),
      );
      return {
        outcome,
        a: (yield* recordOf("settling/a")).status,
        bad: (yield* recordOf("settling/bad")).status,
        c: (yield* recordOf("settling/c")).status,
      };
    }).pipe(Effect.provide(Pipeline.layerTemp)),
  );
  // Had the failure interrupted its siblings, they would be recorded as interrupted.
  assert.equal(exit.a, "ok");
  assert.equal(exit.c, "ok");
  assert.equal(exit.bad, "failed");
  assert.equal(exit.outcome._tag, "Failure");
  const error = exit.outcome._tag === "Failure"
    ? (exit.outcome.cause.reasons[0] as { error?: unknown }).error
    : undefined;
  assert.ok(error instanceof SweepFailed, String(error));
  assert.deepEqual(error.succeeded, { a: 1, c: 3 });
  assert.equal(error.failures.length, 1);
  assert.equal(error.failures[0]!.scenario, "settling/bad");
  assert.ok(error.failures[0]!.error instanceof PipelineError);
  assert.match(
    error.message,
    /^Sweep "settling": 1 of 3 scenarios failed — settling\/bad: Step "sweep.settle" failed in scenario "settling\/bad": rate -1 is negative/,
  );
});

Deno.test("input.value: a step's key holds the value's content — equal values hit, another value misses", async () => {
  computed = 0;
  await Effect.runPromise(
    Effect.gen(function* () {
      const first = yield* grow({ rate: yield* input.value(4) });
      const again = yield* grow({ rate: yield* input.value(4) });
      const other = yield* grow({ rate: yield* input.value(5) });
      assert.equal(first.x.id, again.x.id);
      assert.notEqual(first.x.id, other.x.id);
      assert.equal(yield* read(other.x.id), 50);
    }).pipe(Effect.provide(Pipeline.layerTemp)),
  );
  assert.equal(computed, 2, "4 computed once, 5 once");
});

Deno.test("with workers, a sweep's scenarios run at the same time in worker processes", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-sweep-" });
  try {
    Deno.mkdirSync(`${dir}/meet`);
    Deno.env.set("CAIRN_MEET_DIR", `${dir}/meet`);
    const pids = await Effect.runPromise(
      Effect.gen(function* () {
        // meet.a and meet.b each wait for the other: one after the other, both time out.
        const values = yield* sweep(
          "meeting",
          { a: "a", b: "b" },
          (who) =>
            Effect.gen(function* () {
              const { pid } = yield* (who === "a" ? meetA({}) : meetB({}));
              return (yield* read(pid.id)) as number;
            }),
        );
        return values;
      }).pipe(Effect.provide(
        Pipeline.layerDisk({ root: `${dir}/store`, executor: workers({ size: 2 }) }),
      )),
    );
    assert.notEqual(pids.a, Deno.pid);
    assert.notEqual(pids.b, Deno.pid);
    assert.notEqual(pids.a, pids.b);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
