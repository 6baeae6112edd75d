// A Table input reads a table artifact by its recorded codec (CSV or Parquet); an
// artifact of a codec that cannot be read as the declared one fails when the step is
// invoked, naming both codecs, and the step does not run.
import assert from "node:assert/strict";
import { Effect } from "effect";
import { input, Json, Pipeline, PipelineError, step, Table } from "../../../../mod.ts";

Deno.env.set("CAIRN_PROGRESS", "0");

let ran = 0;
const total = step({
  name: "compat.total",
  inputs: { zones: Table },
  outputs: { n: Json },
  run: ({ zones }) => {
    ran++;
    return { n: zones.reduce((sum, row) => sum + Number(row.population), 0) };
  },
});

Deno.test("a Table.csv artifact given to a Table input is read as CSV (the README's own pattern)", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/zones.csv`, "zone,population\n00501,100\n00502,250\n");
    const n = await Effect.runPromise(
      Effect.gen(function* () {
        const zones = yield* input.file(`${dir}/zones.csv`, Table.csv);
        const { n } = yield* total({ zones });
        const { store } = yield* Pipeline;
        return Json.decode(yield* store.readBlob(n.id));
      }).pipe(Effect.provide(Pipeline.layerTemp)),
    );
    assert.equal(n, 350);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a JSON artifact given to a Table input fails as the step is invoked, naming both codecs", async () => {
  ran = 0;
  const exit = await Effect.runPromiseExit(
    Effect.gen(function* () {
      const zones = yield* input.value([{ zone: 1, population: 2 }]);
      return yield* total({ zones: zones as never });
    }).pipe(Effect.provide(Pipeline.layerTemp)),
  );
  assert.equal(exit._tag, "Failure");
  const error = exit._tag === "Failure"
    ? (exit.cause.reasons[0] as { error?: unknown }).error
    : undefined;
  assert.ok(error instanceof PipelineError);
  assert.equal(error.reason._tag, "InvalidStep");
  assert.match(
    error.message,
    /input "zones" cannot be read: it was written as json, but the input is declared table/,
  );
  assert.equal(ran, 0, "the step did not run");
});
