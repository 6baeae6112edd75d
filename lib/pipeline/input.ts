/**
 * External inputs: files and directories outside the store that a pipeline
 * reads, and values the program holds (a scenario's parameters). They enter keys by
 * content — the stat-cached blob id of each file, the encoded value's id — and are
 * copied into the store once (by id), so lineage can always reach them.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { basename, resolve } from "node:path";
import { encodeTree, type TreeEntry } from "../../store/tree.ts";
import type { StoreError } from "../../store/errors.ts";
import type { Artifact } from "../model/artifact.ts";
import type { Codec, PathCodec, ValueCodec, ValueOf } from "./codecs/codec.ts";
import { Json } from "./codecs/json.ts";
import { File } from "./codecs/path_codecs.ts";
import {
  CodecFailed,
  InputChanged,
  InputMissing,
  type PipelineError,
  pipelineError,
} from "./errors.ts";
import { Pipeline, type PipelineApi } from "./pipeline.ts";

const missing = (path: string) => (e: StoreError | PipelineError): PipelineError =>
  e._tag === "PipelineError" ? e : pipelineError(
    e.reason._tag === "IoFailure" && e.reason.cause instanceof Deno.errors.NotFound
      ? new InputMissing({ path, detail: "no such file or directory" })
      : e,
  );

const fileArtifact = (
  pipeline: PipelineApi,
  path: string,
): Effect.Effect<{ id: string; size: number }, StoreError | PipelineError> =>
  Effect.gen(function* () {
    const { store } = pipeline;
    const { id, size } = yield* store.fileId(path);
    // Protect before checking: an old copy found now must survive a concurrent gc.
    if (yield* store.protect([id])) return { id, size };
    // Copied in by content: bytes that hash otherwise now were changed since they
    // were hashed, and the id above names nothing stored.
    const put = yield* store.putFile(path);
    if (put.id !== id) {
      return yield* Effect.fail(
        pipelineError(
          new InputChanged({ path, detail: `its bytes hashed to ${id}, then to ${put.id}` }),
        ),
      );
    }
    return { id, size };
  });

const dirTree = (
  pipeline: PipelineApi,
  path: string,
): Effect.Effect<{ id: string; size: number }, StoreError | PipelineError> =>
  Effect.gen(function* () {
    const entries: TreeEntry[] = [];
    let size = 0;
    const list = yield* Effect.try({
      try: () => [...Deno.readDirSync(path)],
      catch: (e) =>
        pipelineError(
          new InputMissing({ path, detail: e instanceof Error ? e.message : String(e) }),
        ),
    });
    for (const entry of list) {
      const child = `${path}/${entry.name}`;
      if (entry.isSymlink) {
        return yield* Effect.fail(
          pipelineError(
            new InputMissing({ path: child, detail: "symbolic links are not read as inputs" }),
          ),
        );
      }
      if (entry.isDirectory) {
        const sub = yield* dirTree(pipeline, child);
        entries.push({ name: entry.name, mode: "directory", id: sub.id });
        size += sub.size;
      } else {
        const file = yield* fileArtifact(pipeline, child);
        const mode = ((Deno.statSync(child).mode ?? 0) & 0o111) !== 0 ? "executable" : "file";
        entries.push({ name: entry.name, mode, id: file.id });
        size += file.size;
      }
    }
    const bytes = yield* Effect.try({
      try: () => encodeTree(entries),
      catch: (e) => e as StoreError,
    });
    const tree = yield* pipeline.store.put("tree", bytes);
    return { id: tree.id, size };
  });

/** External inputs. */
export const input = {
  // Typed by its codec, so `input.file(p, Text)` fits a step's `Text` input (an untyped
  // `Artifact` was not assignable to `Artifact<string>`).
  /**
   * A file outside the store, read with `codec` (default `File`: the step gets a path).
   *
   * @example
   * ```ts
   * import { input, Table } from "cairn"
   *
   * const zones = input.file("data/zones.csv", Table.csv)
   * ```
   */
  file: <C extends Codec = PathCodec>(
    path: string,
    codec: C = File as C,
  ): Effect.Effect<Artifact<ValueOf<C>>, PipelineError, Pipeline> =>
    Effect.gen(function* () {
      const pipeline = yield* Pipeline;
      const absolute = resolve(path);
      const { id, size } = yield* Effect.mapError(fileArtifact(pipeline, absolute), missing(path));
      return {
        id,
        kind: "blob",
        codec: codec.name,
        size,
        name: basename(absolute),
        producer: null,
      };
    }),

  /**
   * A value the program holds — a scenario's parameter, a sweep's setting — as an
   * artifact (encoded with `codec`, default `Json`), so a step declared once takes it
   * as an input and its key holds the value's content: each value its own runs, equal
   * values one.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict"
   * import { Effect } from "effect"
   * import { input, Json, Pipeline, step } from "cairn"
   *
   * const grow = step({
   *   name: "grow", inputs: { rate: Json }, outputs: { x: Json }, run: ({ rate }) => ({ x: 10 * rate }),
   * })
   * const x = await Effect.runPromise(Effect.gen(function* () {
   *   const { x } = yield* grow({ rate: yield* input.value(1.5) })
   *   const { store } = yield* Pipeline
   *   return Json.decode(yield* store.readBlob(x.id))
   * }).pipe(Effect.provide(Pipeline.layerTemp)))
   * assert.equal(x, 15)
   * ```
   */
  // deno-lint-ignore no-explicit-any
  value: <T = any>(
    value: T,
    codec: ValueCodec<T> = Json,
    name = "value",
  ): Effect.Effect<Artifact<T>, PipelineError, Pipeline> =>
    Effect.gen(function* () {
      const pipeline = yield* Pipeline;
      const bytes = yield* Effect.tryPromise({
        try: async () => await codec.encode(value),
        catch: (e) =>
          pipelineError(
            new CodecFailed({
              codec: codec.name,
              artifact: `input value "${name}"`,
              detail: e instanceof Error ? e.message : String(e),
            }),
          ),
      });
      const { id } = yield* Effect.mapError(pipeline.store.putBlob(bytes), pipelineError);
      return { id, kind: "blob", codec: codec.name, size: bytes.length, name, producer: null };
    }),

  /**
   * A directory outside the store (a zarr store, an image folder), as a tree.
   *
   * @example
   * ```ts
   * import { input } from "cairn"
   *
   * const skims = input.dir("data/skims.zarr")
   * ```
   */
  dir: (path: string): Effect.Effect<Artifact<string>, PipelineError, Pipeline> =>
    Effect.gen(function* () {
      const pipeline = yield* Pipeline;
      const absolute = resolve(path);
      const { id, size } = yield* Effect.mapError(
        dirTree(pipeline, absolute),
        missing(path),
      );
      return { id, kind: "tree", codec: "dir", size, name: basename(absolute), producer: null };
    }),
};
