/**
 * The content-addressed object store: objects, refs, indexes, the stat cache, gc
 * and fsck. Knows nothing of pipelines.
 *
 * @module
 */
export * from "./errors.ts";
export * from "./object_id.ts";
export * from "./canonical_json.ts";
export * from "./tree.ts";
export * from "./tree_decoder.ts";
export * from "./record.ts";
export { FORMAT_LINE, layoutOf, objectPath, openLayout, type StoreLayout } from "./layout.ts";
export { type ReflogEntry, refNameProblem, validateRefName, ZERO_ID } from "./refs.ts";
export { AppendIndex, type IndexTail, readIndexTail } from "./append_index.ts";
export { type FileIdResult, RACY_WINDOW_MS } from "./stat_cache.ts";
export type { GcOptions, GcReport } from "./gc.ts";
export { isRacy, type ObjectFact, type ObjectFacts, statOf } from "./object_facts.ts";
export type { FsckOptions, FsckProblem, FsckReport, IndexTarget } from "./fsck.ts";
export type { RepairReport } from "./repair.ts";
export { WouldBlock, WriterSession } from "./session.ts";
export type { MaterializeOptions, MaterializeResult } from "./materialize.ts";
export type { DirPutResult } from "./ingest_dir.ts";
export type { S3StoreOptions } from "./s3/s3_store_options.ts";
export { layerS3 } from "./s3/layer_s3.ts";
export type { FilePutResult, PutResult, StoreContext } from "./objects.ts";
export {
  defaultStoreRoot,
  type EntryNeeding,
  type IndexHandle,
  ObjectStore,
  type ObjectStoreApi,
  openStoreContext,
  type RefUpdateOptions,
  type StoreOptions,
} from "./object_store.ts";
