/**
 * The object store in an S3 bucket as a layer of the `ObjectStore` service.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import type { StoreError } from "../errors.ts";
import { ObjectStore } from "../object_store.ts";
import type { S3StoreOptions } from "./s3_store_options.ts";

/**
 * The store in an S3 bucket (AWS, or an S3-compatible server at `endpoint`), laid out
 * as the README's store-format section says. The SDK is imported when the layer is
 * built, not with this module: it costs ~90 ms that local use never pays.
 *
 * @example Where no server answers, opening fails with a typed error that says so
 * ```ts
 * import assert from "node:assert/strict"
 * import { Effect } from "effect"
 * import { layerS3, ObjectStore } from "cairn"
 *
 * const remote = layerS3({
 *   bucket: "team-cache",
 *   prefix: "cairn",
 *   endpoint: "http://127.0.0.1:9", // nothing listens there
 *   credentials: { accessKeyId: "key", secretAccessKey: "secret" },
 * })
 * const refs = Effect.gen(function* () {
 *   return yield* (yield* ObjectStore).listRefs("scenarios/")
 * })
 * const error = await Effect.runPromise(Effect.flip(Effect.provide(refs, remote)))
 * assert.equal(error.reason._tag, "IoFailure")
 * assert.match(error.message, /^Cannot open bucket "s3:\/\/team-cache\/cairn": .*is the S3 server running/)
 * ```
 */
export const layerS3 = (options: S3StoreOptions): Layer.Layer<ObjectStore, StoreError> =>
  Layer.effect(
    ObjectStore,
    Effect.promise(() => import("./s3_store.ts")).pipe(
      Effect.flatMap((m) => m.openS3Store(options)),
    ),
  );
