/**
 * cairn: skip work already done, safely; know where every result came from.
 *
 * Pipelines are Effect values composed with `step`, `iterate` and `scenario`;
 * `run` interprets them over a content-addressed store (`./.cairn` unless told
 * otherwise), reusing every step whose code, config and inputs are unchanged.
 *
 * @example A two-step pipeline
 * ```ts
 * import { Effect } from "effect"
 * import { iterate, Json, run, scenario, step } from "cairn"
 *
 * const grow = step({
 *   name: "grow",
 *   inputs: { x: Json },
 *   outputs: { x: Json },
 *   config: { rate: 1.1 },
 *   run: ({ x }, config) => ({ x: x * config.rate }),
 * })
 * const seed = step({ name: "seed", outputs: { x: Json }, run: () => ({ x: 1 }) })
 *
 * const program = scenario("growth", {}, Effect.gen(function* () {
 *   const start = yield* seed({})
 *   return yield* iterate({ times: 10 }, start, (state) => grow({ x: state.x }))
 * }))
 * if (import.meta.main) await run(program)
 * ```
 *
 * @module
 */
export * from "./lib/mod.ts";
// The store's service and what its interface names; everything else of the store is
// the package's `./store` export, the queries its `./query` export.
export * from "./store/errors.ts";
export type { JsonValue } from "./store/canonical_json.ts";
export type { ObjectId, ObjectKind } from "./store/object_id.ts";
export type { TreeEntry, TreeEntryMode } from "./store/tree.ts";
export type { StoreRecord } from "./store/record.ts";
export type { ReflogEntry } from "./store/refs.ts";
export type { FileIdResult } from "./store/stat_cache.ts";
export type { GcOptions, GcReport } from "./store/gc.ts";
export type { FsckOptions, FsckProblem, FsckReport, IndexTarget } from "./store/fsck.ts";
export type { RepairReport } from "./store/repair.ts";
export type { LeaseHolder } from "./store/lease.ts";
export type { MaterializeOptions, MaterializeResult } from "./store/materialize.ts";
export type { DirPutResult } from "./store/ingest_dir.ts";
export type { S3StoreOptions } from "./store/s3/s3_store_options.ts";
export { layerS3 } from "./store/s3/layer_s3.ts";
export type { FilePutResult, PutResult } from "./store/objects.ts";
export {
  defaultStoreRoot,
  type EntryNeeding,
  type IndexHandle,
  type Lease,
  ObjectStore,
  type ObjectStoreApi,
  type RefUpdateOptions,
  type StoreOptions,
} from "./store/object_store.ts";
