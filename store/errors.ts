/**
 * The store's typed errors. Every failure of the store surfaces as one
 * {@linkcode StoreError} whose `reason` says what went wrong, so callers can
 * `Effect.catchReason("StoreError", "ObjectNotFound", ...)` or match on
 * `error.reason._tag`. Messages follow "Cannot X: detail" and end with what to do.
 *
 * @module
 */
import * as Data from "effect/Data";

/** The object is not in the store. */
export class ObjectNotFound extends Data.TaggedError("ObjectNotFound")<{ readonly id: string }> {
  /** What failed, why, and what to do. */
  override get message(): string {
    return `Cannot read object "${this.id}": it is not in the store (it may have been removed by gc or never written)`;
  }
}

/** An object's bytes no longer hash to its id. */
export class IntegrityMismatch extends Data.TaggedError("IntegrityMismatch")<{
  readonly id: string;
  readonly actual: string;
  readonly path: string;
  /** Where the damaged file was set aside (`quarantine/…`), when it was. */
  readonly setAside?: string;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    const where = this.setAside
      ? `; it was set aside to "${this.setAside}", so the next put of the right bytes writes it afresh`
      : "";
    return `Cannot trust object "${this.id}": its bytes hash to "${this.actual}" (file "${this.path}" was changed or damaged)${where}; re-run the step that produced it, or run "cairn fsck --repair" to find every damaged object and the runs that must run again`;
  }
}

/** An object's payload does not parse as the kind it was asked for. */
export class InvalidObject extends Data.TaggedError("InvalidObject")<{
  readonly id: string;
  readonly detail: string;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    return `Cannot decode object "${this.id}": ${this.detail}`;
  }
}

/** A value cannot be encoded (a record that is not canonical JSON, a bad index key, ...). */
export class InvalidInput extends Data.TaggedError("InvalidInput")<{
  readonly what: string;
  readonly detail: string;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    return `Cannot accept ${this.what}: ${this.detail}`;
  }
}

/** A ref name outside the documented charset. */
export class InvalidRefName extends Data.TaggedError("InvalidRefName")<{
  readonly name: string;
  readonly detail: string;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    return `Cannot use ref name ${
      JSON.stringify(this.name)
    }: ${this.detail}; use segments of A-Z a-z 0-9 . _ - separated by "/"`;
  }
}

/** A compare-and-swap ref update found another value than expected. */
export class RefConflict extends Data.TaggedError("RefConflict")<{
  readonly name: string;
  readonly expected: string | null;
  readonly actual: string | null;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    return `Cannot update ref "${this.name}": expected ${this.expected ?? "no ref"} but found ${
      this.actual ?? "no ref"
    } (another process updated it); read the ref again and retry`;
  }
}

/** A lock file is held by another writer for too long. */
export class LockBusy extends Data.TaggedError("LockBusy")<{ readonly path: string }> {
  /** What failed, why, and what to do. */
  override get message(): string {
    return `Cannot take lock "${this.path}": another process holds it; if no cairn process is running, remove that file`;
  }
}

/** A name or path would write outside its destination, or is not a plain file or directory. */
export class UnsafePath extends Data.TaggedError("UnsafePath")<{
  readonly path: string;
  readonly detail: string;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    return `Cannot use path ${JSON.stringify(this.path)}: ${this.detail}`;
  }
}

/** The destination of a materialize already exists. */
export class DestinationExists extends Data.TaggedError("DestinationExists")<{
  readonly path: string;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    return `Cannot materialize into "${this.path}": it already exists; choose a new path or pass overwrite: true`;
  }
}

/** The directory is not a cairn store, or a store of a format this version cannot read. */
export class UnsupportedStore extends Data.TaggedError("UnsupportedStore")<{
  readonly root: string;
  readonly detail: string;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    return `Cannot open store "${this.root}": ${this.detail}`;
  }
}

/** An id prefix matches no object or several. */
export class AmbiguousId extends Data.TaggedError("AmbiguousId")<{
  readonly prefix: string;
  readonly matches: number;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    return this.matches === 0
      ? `Cannot resolve "${this.prefix}": no object id starts with it`
      : `Cannot resolve "${this.prefix}": ${this.matches} object ids start with it; give more characters`;
  }
}

/** The file system refused an operation. */
export class IoFailure extends Data.TaggedError("IoFailure")<{
  readonly op: string;
  readonly path: string;
  readonly cause: unknown;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    const cause = this.cause instanceof Error ? this.cause.message : String(this.cause);
    const hint = this.cause instanceof Deno.errors.PermissionDenied ||
        (this.cause instanceof Error && /EROFS|read-only/i.test(cause))
      ? "; check that the store is on a writable file system and that you own it"
      : "";
    return `Cannot ${this.op} "${this.path}": ${cause}${hint}`;
  }
}

/**
 * gc met a root (or an object a root reaches) that it cannot read: damaged, or a ref
 * naming an object that is not there. What such an object links to cannot be known,
 * so gc stops before removing anything.
 */
export class UnreadableRoot extends Data.TaggedError("UnreadableRoot")<{
  /** What named the object: `ref "scenarios/x"`, `record 2 of scenario "x"`, ... */
  readonly root: string;
  readonly id: string;
  /** The object that links to it, when it is not the root itself. */
  readonly linkedFrom: string | null;
  /** "is damaged (…)" or "is not in the store". */
  readonly detail: string;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    const what = this.linkedFrom === null
      ? `${this.root} names object "${this.id}", which ${this.detail}`
      : `object "${this.id}", linked from "${this.linkedFrom}" (reached from ${this.root}), ${this.detail}`;
    return `Cannot collect garbage: ${what}; gc stopped before removing anything, since what that object links to cannot be known; run "cairn fsck --repair", which sets damaged objects aside and says what to re-run, then run gc again`;
  }
}

/** The store's backend does not offer an operation (a remote store has no local gc, say). */
export class Unsupported extends Data.TaggedError("Unsupported")<{
  /** What was asked: "collect garbage", "check store", ... */
  readonly op: string;
  /** Which backend refused it: `s3://bucket/prefix`, ... */
  readonly backend: string;
  /** Why, and what to do instead. */
  readonly detail: string;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    return `Cannot ${this.op} on "${this.backend}": ${this.detail}`;
  }
}

/** Every reason a store operation can fail. */
export type StoreErrorReason =
  | ObjectNotFound
  | IntegrityMismatch
  | InvalidObject
  | InvalidInput
  | InvalidRefName
  | RefConflict
  | LockBusy
  | UnsafePath
  | DestinationExists
  | UnsupportedStore
  | AmbiguousId
  | UnreadableRoot
  | Unsupported
  | IoFailure;

/**
 * The one error type of the store; `reason` carries the detail.
 *
 * @example Catching one reason
 * ```ts
 * import { Effect } from "effect"
 * import { ObjectNotFound, StoreError } from "cairn"
 *
 * const failing = Effect.fail(new StoreError({ reason: new ObjectNotFound({ id: "ab" }) }))
 * const recovered = failing.pipe(
 *   Effect.catchReason("StoreError", "ObjectNotFound", () => Effect.succeed("missing")),
 * )
 * ```
 */
export class StoreError extends Data.TaggedError("StoreError")<{
  readonly reason: StoreErrorReason;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    return this.reason.message;
  }
}

/** Wraps a reason into a {@linkcode StoreError}; a thrown `StoreError` passes through. *
 * @example A store failure with its reason
 * ```ts
 * import assert from "node:assert/strict"
 * import { ObjectNotFound, storeError } from "cairn"
 *
 * const error = storeError(new ObjectNotFound({ id: "ab".repeat(32) }))
 * assert.equal(error.reason._tag, "ObjectNotFound")
 * assert.match(error.message, /^Cannot read object/)
 * ```
 */
export const storeError = (reason: StoreErrorReason): StoreError => new StoreError({ reason });

/** Maps anything thrown by store code to a `StoreError`, keeping typed ones as they are. *
 * @example An exception from the file system, typed
 * ```ts
 * import assert from "node:assert/strict"
 * import { toStoreError } from "cairn"
 *
 * const error = toStoreError("read index", "/store/index/cache.log")(new Error("disk on fire"))
 * assert.equal(error.reason._tag, "IoFailure")
 * assert.match(error.message, /Cannot read index/)
 * ```
 */
export const toStoreError = (op: string, path: string): (cause: unknown) => StoreError =>
(
  cause: unknown,
): StoreError => {
  if (cause instanceof StoreError) return cause;
  return storeError(new IoFailure({ op, path, cause }));
};
