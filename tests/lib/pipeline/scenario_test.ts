// scenario(): how a scenario's record reaches its ref when other processes finish the
// same scenario at the same moment.
import assert from "node:assert/strict";
import * as Effect from "effect/Effect";
import {
  Json,
  Pipeline,
  type PipelineApi,
  scenario,
  scenarioRecorded,
  step,
} from "../../../mod.ts";

Deno.env.set("CAIRN_PROGRESS", "0");

Deno.test("a scenario is recorded even when other processes move its ref 30 times in a row", async () => {
  const ref = "scenarios/busy";
  await Effect.runPromise(
    Effect.gen(function* () {
      const pipeline = yield* Pipeline;
      const { store } = pipeline;
      // Before each of the scenario's first 30 attempts, "another process" records the
      // same scenario, so every one of those attempts loses the compare-and-swap.
      let rivals = 0;
      const busy: PipelineApi = {
        ...pipeline,
        store: {
          ...store,
          updateRef: (name, id, options) =>
            Effect.gen(function* () {
              if (name === ref && rivals < 30) {
                rivals++;
                const parent = yield* store.readRef(ref);
                const rival = yield* store.putRecord({
                  type: "scenario",
                  name: "busy",
                  rival: rivals,
                  parent,
                  links: parent ? [parent] : [],
                });
                yield* store.updateRef(ref, rival.id, { expected: parent, message: "rival" });
              }
              return yield* store.updateRef(name, id, options);
            }),
        },
      };
      yield* scenario("busy", { config: { mine: true } }, Effect.void).pipe(
        Effect.provideService(Pipeline, busy),
      );

      assert.equal(rivals, 30);
      const log = yield* store.reflog(ref);
      assert.equal(log.length, 31, "the 30 rivals and this scenario");
      const head = yield* store.readRef(ref);
      assert.equal(log[30]!.new, head);
      const record = yield* store.readRecord(head!);
      assert.deepEqual(record.config, { mine: true });
      assert.equal(record.parent, log[29]!.new, "its parent is the last rival's record");
      assert.equal(record.status, "ok");
    }).pipe(Effect.provide(Pipeline.layerTemp)),
  );
});

Deno.test("scenarioRecorded() gives each execution its own record, even when two run at once", async () => {
  const double = step({
    name: "double",
    inputs: { x: Json },
    outputs: { y: Json },
    run: ({ x }) => ({ y: x * 2 }),
  });
  const seed = (x: number) =>
    step({ name: `seed${x}`, outputs: { x: Json }, config: { x }, run: (_, c) => ({ x: c.x }) });
  const program = (x: number) =>
    scenarioRecorded(
      "twice",
      { config: { x } },
      Effect.gen(function* () {
        const { x: start } = yield* seed(x)({});
        const { y } = yield* double({ x: start });
        return y.id;
      }),
    );
  await Effect.runPromise(
    Effect.gen(function* () {
      const { store } = yield* Pipeline;
      const [a, b] = yield* Effect.all([program(1), program(2)], { concurrency: 2 });
      assert.ok(a.record && b.record && a.record !== b.record);
      for (const [result, x] of [[a, 1], [b, 2]] as const) {
        const record = yield* store.readRecord(result.record!);
        assert.deepEqual(record.config, { x }, "each gets the record of its own execution");
        assert.equal((record.invocations as unknown[]).length, 2);
      }
      const log = yield* store.reflog("scenarios/twice");
      assert.deepEqual(new Set(log.map((e) => e.new)), new Set([a.record, b.record]));
    }).pipe(Effect.provide(Pipeline.layerTemp)),
  );
});
