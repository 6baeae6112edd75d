// External inputs: a file edited while cairn copies it into the store.
import assert from "node:assert/strict";
import { Effect } from "effect";
import { input, Pipeline, PipelineError, Text } from "../../../mod.ts";

Deno.env.set("CAIRN_PROGRESS", "0");

Deno.test("an input edited between its hashing and its copy into the store fails saying it changed while read", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-input-" });
  try {
    const path = `${dir}/zones.csv`;
    Deno.writeTextFileSync(path, "zone,population\n1,1200\n");
    let edits = 0;
    const error = await Effect.runPromise(
      Effect.gen(function* () {
        const pipeline = yield* Pipeline;
        // The edit lands after the file was hashed and before it is copied in: the
        // store is the real one, its protect() does the editor's work first.
        const store = {
          ...pipeline.store,
          protect: (ids: readonly string[]) =>
            Effect.sync(() => {
              Deno.writeTextFileSync(path, "zone,population\n1,9999\n");
              edits++;
            }).pipe(Effect.andThen(pipeline.store.protect(ids))),
        };
        return yield* Effect.flip(
          input.file(path, Text).pipe(
            Effect.flatMap((artifact) => pipeline.store.readBlob(artifact.id)),
            Effect.provideService(Pipeline, { ...pipeline, store }),
          ),
        );
      }).pipe(Effect.provide(Pipeline.layerDisk({ root: `${dir}/store` }))),
    );
    assert.equal(edits, 1);
    assert.ok(error instanceof PipelineError, `got ${error}`);
    assert.equal(error.reason._tag, "InputChanged");
    assert.match(error.message, /^Cannot read input ".*zones\.csv": it changed while it was read/);
    assert.doesNotMatch(error.message, /removed by gc/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
