/**
 * `read`: an artifact's value, decoded by the codec it was written with — what a
 * convergence test (`iterate`'s `until`) or a program's last step wants of a handle.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import type { Artifact } from "../model/artifact.ts";
import type { ValueCodec } from "./codecs/codec.ts";
import { BUILT_IN_CODECS } from "./codecs/compat.ts";
import { CodecFailed, type PipelineError, pipelineError } from "./errors.ts";
import { Pipeline } from "./pipeline.ts";

/**
 * The value of `artifact`, read from the store (verified) and decoded by its recorded
 * codec (`json`, `text`, `table`, `table-csv`), or by `codec` for a codec of the
 * program's own. A `File` or `Dir` artifact has no value to decode: materialize it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict"
 * import { Effect } from "effect"
 * import { iterate, Json, Pipeline, read, step } from "cairn"
 *
 * export const halve = step({
 *   name: "halve", inputs: { x: Json }, outputs: { x: Json }, run: ({ x }) => ({ x: x / 2 }),
 * })
 * export const start = step({ name: "start", outputs: { x: Json }, run: () => ({ x: 64 }) })
 * const end = await Effect.runPromise(Effect.gen(function* () {
 *   const first = yield* start({})
 *   const last = yield* iterate({
 *     max: 20,
 *     until: (_, next) => Effect.map(read(next.x), (x) => x < 1),
 *   }, first, (s) => halve({ x: s.x }))
 *   return yield* read(last.x)
 * }).pipe(Effect.provide(Pipeline.layerTemp)))
 * assert.equal(end, 0.5)
 * ```
 */
export const read = <T>(
  artifact: Artifact<T>,
  codec?: ValueCodec<T>,
): Effect.Effect<T, PipelineError, Pipeline> =>
  Effect.gen(function* () {
    const chosen = codec ?? BUILT_IN_CODECS.get(artifact.codec) as ValueCodec<T> | undefined;
    const what = `artifact ${artifact.id.slice(0, 12)} ("${artifact.name}")`;
    if (!chosen) {
      return yield* Effect.fail(
        pipelineError(
          new CodecFailed({
            codec: artifact.codec,
            artifact: what,
            detail: artifact.codec === "file" || artifact.codec === "dir"
              ? "a file or directory has no value to decode; materialize it (store.materialize) and read the files"
              : "it is not one of cairn's codecs; pass the codec: read(artifact, MyCodec)",
          }),
        ),
      );
    }
    const { store } = yield* Pipeline;
    const bytes = yield* Effect.mapError(store.readBlob(artifact.id), pipelineError);
    return yield* Effect.tryPromise({
      try: async () => await chosen.decode(bytes),
      catch: (e) =>
        pipelineError(
          new CodecFailed({
            codec: chosen.name,
            artifact: what,
            detail: `decode failed: ${e instanceof Error ? e.message : String(e)}`,
          }),
        ),
    });
  });
