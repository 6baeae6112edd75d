// iterate: `until` reads values with `read` (its errors join the body's), and how each
// loop ended — converged, or stopped at max — goes into the scenario record, the
// progress output and `cairn scenarios`.
import assert from "node:assert/strict";
import { Effect, Layer } from "effect";
import {
  iterate,
  Json,
  Pipeline,
  type PipelineError,
  type Progress,
  read,
  scenario,
  step,
} from "../../../mod.ts";
import { ObjectStore } from "../../../store/mod.ts";

export const halve = step({
  name: "iterate.halve",
  inputs: { x: Json },
  outputs: { x: Json },
  run: ({ x }) => ({ x: x / 2 }),
});
export const start = step({ name: "iterate.start", outputs: { x: Json }, run: () => ({ x: 64 }) });

class TooBig {
  readonly _tag = "TooBig";
}

const lines: string[] = [];
const progress: Progress = {
  stepStarted: () => {},
  stepFinished: () => {},
  iterationFinished: () => {},
  scenarioFinished: () => {},
  log: (line) => lines.push(line),
};
const layer = Pipeline.layer({ progress }).pipe(Layer.provide(ObjectStore.layerTemp));

// `until` fails with TooBig and reads with PipelineError; the body fails with
// PipelineError: the loop's error type is their union (a single type parameter made
// this a compile error, TS2322).
const halving = (max: number, below: number) =>
  Effect.gen(function* () {
    const first = yield* start({});
    const last = yield* iterate(
      {
        max,
        until: (_, next) =>
          Effect.gen(function* () {
            const x = yield* read(next.x);
            if (x > 1000) return yield* Effect.fail(new TooBig());
            return x < below;
          }),
      },
      first,
      (s) => halve({ x: s.x }),
    );
    return yield* read(last.x);
  });
const _typed: Effect.Effect<number, PipelineError | TooBig, Pipeline> = halving(1, 1);
void _typed;

const recordOf = (name: string) =>
  Effect.gen(function* () {
    const { store } = yield* Pipeline;
    return (yield* store.readRecord((yield* store.readRef(`scenarios/${name}`))!)) as unknown as {
      loops?: unknown;
    };
  });

Deno.test("a loop with until that converges: its value, its record and its progress line say so", async () => {
  lines.length = 0;
  const { value, record } = await Effect.runPromise(
    Effect.gen(function* () {
      const value = yield* scenario("halving", {}, halving(20, 5));
      return { value, record: yield* recordOf("halving") };
    }).pipe(Effect.provide(layer)),
  );
  assert.equal(value, 4); // 64 → 32 → 16 → 8 → 4
  assert.deepEqual(record.loops, [{ iterations: 4, of: 20, converged: true }]);
  assert.ok(lines.includes("[halving] converged after 4 iterations (max 20)"), lines.join("\n"));
});

Deno.test("a loop that reaches max is recorded as not converged; a fixed loop as its count", async () => {
  lines.length = 0;
  const record = await Effect.runPromise(
    Effect.gen(function* () {
      yield* scenario(
        "capped",
        {},
        Effect.gen(function* () {
          yield* halving(3, 0.001);
          yield* iterate({ times: 2 }, 0, (n) => Effect.succeed(n + 1));
        }),
      );
      return yield* recordOf("capped");
    }).pipe(Effect.provide(layer)),
  );
  assert.deepEqual(record.loops, [
    { iterations: 3, of: 3, converged: false },
    { iterations: 2, of: 2, converged: null },
  ]);
  assert.ok(lines.includes("[capped] did not converge: stopped at max 3 iterations"));
});

Deno.test("read of an artifact whose codec is not cairn's fails naming it and saying what to pass", async () => {
  const exit = await Effect.runPromiseExit(
    read({ id: "ab".repeat(32), kind: "blob", codec: "mine", size: 1, name: "x", producer: null })
      .pipe(Effect.provide(Pipeline.layerTemp)),
  );
  assert.equal(exit._tag, "Failure");
  assert.match(
    String(exit._tag === "Failure" ? exit.cause : ""),
    /pass the codec: read\(artifact, MyCodec\)/,
  );
});
