// list(codec) inputs: one input holding an ordered list of artifacts — keyed by their
// ids in order, decoded for run as an array, recorded (and shown by lineage) as
// name[0], name[1], …; in a worker as in process.
import assert from "node:assert/strict";
import { Effect } from "effect";
import { input, Json, list, Pipeline, PipelineError, step, workers } from "../../../mod.ts";
import { total } from "./workers/_steps.ts";

Deno.env.set("CAIRN_PROGRESS", "0");

const seen: unknown[] = [];
const join = step({
  name: "list.join",
  inputs: { words: list(Json), sep: Json },
  outputs: { text: Json },
  run: ({ words, sep }) => {
    seen.push(words);
    return { text: words.join(sep) };
  },
});

const read = (id: string) =>
  Effect.gen(function* () {
    const { store } = yield* Pipeline;
    return Json.decode(yield* store.readBlob(id));
  });

Deno.test("a list input is decoded in order and keyed by its elements in order", async () => {
  seen.length = 0;
  await Effect.runPromise(
    Effect.gen(function* () {
      const [a, b, c, sep] = [
        yield* input.value("a"),
        yield* input.value("b"),
        yield* input.value("c"),
        yield* input.value("-"),
      ];
      const abc = yield* join({ words: [a, b, c], sep });
      const again = yield* join({ words: [a, b, c], sep });
      const cba = yield* join({ words: [c, b, a], sep });
      const ab = yield* join({ words: [a, b], sep });
      const none = yield* join({ words: [], sep });
      assert.equal(yield* read(abc.text.id), "a-b-c");
      assert.equal(yield* read(cba.text.id), "c-b-a");
      assert.equal(yield* read(ab.text.id), "a-b");
      assert.equal(yield* read(none.text.id), "");
      assert.equal(again.text.producer, abc.text.producer, "the same list again is a hit");
      const { store } = yield* Pipeline;
      const record = (yield* store.readRecord(abc.text.producer!)) as unknown as {
        inputs: Record<string, { id: string } | null>;
      };
      assert.deepEqual(Object.keys(record.inputs).sort(), [
        "sep",
        "words[0]",
        "words[1]",
        "words[2]",
      ]);
      assert.equal(record.inputs["words[2]"]!.id, c.id);
    }).pipe(Effect.provide(Pipeline.layerTemp)),
  );
  assert.deepEqual(seen, [["a", "b", "c"], ["c", "b", "a"], ["a", "b"], []]);
});

Deno.test("a list input given something other than an array fails as the step is invoked", async () => {
  const exit = await Effect.runPromiseExit(
    Effect.gen(function* () {
      const a = yield* input.value("a");
      return yield* join({ words: a as never, sep: a });
    }).pipe(Effect.provide(Pipeline.layerTemp)),
  );
  assert.equal(exit._tag, "Failure");
  const error = exit._tag === "Failure"
    ? (exit.cause.reasons[0] as { error?: unknown }).error
    : undefined;
  assert.ok(error instanceof PipelineError);
  assert.match(error.message, /input "words" is a list: give an array of artifact handles/);
});

Deno.test("a step with a list input runs in a worker", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-list-" });
  try {
    const [sum, pid] = await Effect.runPromise(
      Effect.gen(function* () {
        const xs = [yield* input.value(1), yield* input.value(2), yield* input.value(39)];
        const out = yield* total({ xs });
        return [yield* read(out.sum.id), yield* read(out.pid.id)];
      }).pipe(Effect.provide(
        Pipeline.layerDisk({ root: `${dir}/store`, executor: workers({ size: 1 }) }),
      )),
    );
    assert.equal(sum, 42);
    assert.notEqual(pid, Deno.pid, "it ran in the worker, not refused");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
