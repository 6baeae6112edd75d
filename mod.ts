/**
 * cairn: skip work already done, safely; know where every result came from.
 *
 * This is the public API. Today it exposes the content-addressed object store;
 * the pipeline DSL (`step`, `iterate`, `scenario`, `run`) builds on it.
 *
 * @example Store a blob and read it back
 * ```ts
 * import { Effect } from "effect"
 * import { ObjectStore } from "./mod.ts"
 *
 * const program = Effect.gen(function* () {
 *   const store = yield* ObjectStore
 *   const { id } = yield* store.putBlob(new TextEncoder().encode("hello"))
 *   return new TextDecoder().decode(yield* store.readBlob(id))
 * })
 * await Effect.runPromise(program.pipe(Effect.provide(ObjectStore.layerTemp)))
 * ```
 *
 * @module
 */
export * from "./store/mod.ts";
