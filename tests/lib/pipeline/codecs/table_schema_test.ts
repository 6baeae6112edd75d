// Table.of(schema): rows checked against an effect Schema as they are written and
// read, typed in `run`; CSV cells read as the schema's columns want them.
import assert from "node:assert/strict";
import { Effect, Schema } from "effect";
import { input, Json, Pipeline, PipelineError, step, Table } from "../../../../mod.ts";

Deno.env.set("CAIRN_PROGRESS", "0");

const Zone = Schema.Struct({
  zone: Schema.String,
  population: Schema.Number,
  parking: Schema.NullOr(Schema.Boolean),
});
const Zones = Table.of(Zone);

Deno.test("Table.of reads CSV cells as the schema's columns want them, and refuses a row that does not fit", async () => {
  const bytes = new TextEncoder().encode("zone,population,parking\n00501,1200,true\n502,1.50,\n");
  assert.deepEqual(await Zones.csv.decode(bytes), [
    { zone: "00501", population: 1200, parking: true },
    { zone: "502", population: 1.5, parking: null },
  ]);
  const bad = new TextEncoder().encode("zone,population,parking\n1,many,true\n");
  await assert.rejects(
    async () => await Zones.csv.decode(bad),
    /row 0 does not fit the row schema/,
  );
  await assert.rejects(
    async () =>
      await Zones.encode([{ zone: 1 as unknown as string, population: 2, parking: null }]),
    /row 0 does not fit the row schema/,
  );
});

Deno.test("Table.of round-trips through Parquet and keeps an empty table's columns", async () => {
  const rows = [{ zone: "00501", population: 1200, parking: false }];
  assert.deepEqual(await Zones.decode(await Zones.encode(rows)), rows);
  const empty = await Zones.csv.encode([]);
  assert.equal(new TextDecoder().decode(empty).trim(), "zone,population,parking");
});

const total = step({
  name: "schema.total",
  inputs: { zones: Zones },
  outputs: { n: Json, ids: Json },
  // Typed rows: no cast (zone is a string, population a number).
  run: ({ zones }) => ({
    n: zones.reduce((s, z) => s + z.population, 0),
    ids: zones.map((z) => z.zone.padStart(5, "0")),
  }),
});

const clean = step({
  name: "schema.clean",
  inputs: { zones: Zones },
  outputs: { zones: Zones },
  run: ({ zones }) => ({
    zones: zones.map((z) => ({ ...z, population: String(z.population) as unknown as number })),
  }),
});

Deno.test("a step over Table.of rows: a CSV input is read typed; an output row that does not fit fails the step", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(
      `${dir}/zones.csv`,
      "zone,population,parking\n00501,100,\n00502,250,true\n",
    );
    const { n, ids } = await Effect.runPromise(
      Effect.gen(function* () {
        const zones = yield* input.file(`${dir}/zones.csv`, Zones.csv);
        const out = yield* total({ zones });
        const { store } = yield* Pipeline;
        return {
          n: Json.decode(yield* store.readBlob(out.n.id)),
          ids: Json.decode(yield* store.readBlob(out.ids.id)),
        };
      }).pipe(Effect.provide(Pipeline.layerTemp)),
    );
    assert.equal(n, 350);
    assert.deepEqual(ids, ["00501", "00502"]);
    const exit = await Effect.runPromiseExit(
      Effect.gen(function* () {
        const zones = yield* input.file(`${dir}/zones.csv`, Zones.csv);
        return yield* clean({ zones });
      }).pipe(Effect.provide(Pipeline.layerTemp)),
    );
    assert.equal(exit._tag, "Failure");
    const error = exit._tag === "Failure"
      ? (exit.cause.reasons[0] as { error?: unknown }).error
      : undefined;
    assert.ok(error instanceof PipelineError);
    assert.match(error.message, /row 0 does not fit the row schema/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
