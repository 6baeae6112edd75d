/**
 * Remotes: push scenarios to a store in an S3 bucket and pull them back, the
 * destination never naming an object it does not fully hold.
 *
 * @module
 */
export { copyObjects, type CopyProgress, type CopyReport } from "./copy_objects.ts";
export { type DeletedRef, deleteRemote } from "./delete_remote.ts";
export { push, type PushedRef, type PushOptions, type PushReport } from "./push.ts";
export { pull, type PulledRef, type PullOptions, type PullReport } from "./pull.ts";
export { RemoteError, RemoteUnavailable } from "./remote_error.ts";
export { history, isAncestor } from "./scenario_history.ts";
export { type TypedLink, typedLinks } from "./typed_links.ts";
export {
  RemoteCache,
  type RemoteCacheApi,
  type RemoteCacheOptions,
  type RunOfKey,
} from "./remote_cache.ts";
export {
  download,
  remoteBacked,
  type RemoteBacking,
  type RemoteReadStats,
} from "./remote_backed_store.ts";
export { type WriteThrough, writeThrough, type WriteThroughStats } from "./write_through.ts";
