/**
 * The object store as an Effect service: interface, tag, a disk layer and a
 * temp-dir layer for tests. Every method returns an Effect that fails only with
 * {@linkcode StoreError}.
 *
 * @module
 */
import * as Context from "effect/Context";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import * as Schedule from "effect/Schedule";
import type * as Scope from "effect/Scope";
import { resolve } from "node:path";
import { AppendIndex, type IndexTail, readIndexTail } from "./append_index.ts";
import { AmbiguousId, InvalidInput, type StoreError, storeError, toStoreError } from "./errors.ts";
import { fsck, type FsckOptions, type FsckReport } from "./fsck.ts";
import { gc, type GcOptions, type GcReport } from "./gc.ts";
import { type DirPutResult, putDir } from "./ingest_dir.ts";
import { openLayout } from "./layout.ts";
import { materialize, type MaterializeOptions, type MaterializeResult } from "./materialize.ts";
import type { ObjectId, ObjectKind } from "./object_id.ts";
import {
  type FilePutResult,
  hasObject,
  identify,
  putBytes,
  putFile,
  type PutResult,
  readVerified,
  removeDamaged,
  type StoreContext,
  streamBlob,
} from "./objects.ts";
import { decodeRecord, encodeRecord, type StoreRecord } from "./record.ts";
import { listRefs, readRef, readReflog, type ReflogEntry, updateRef } from "./refs.ts";
import { WouldBlock, WriterSession } from "./session.ts";
import { type FileIdResult, statCachedFileId } from "./stat_cache.ts";
import type { TreeEntry } from "./tree.ts";
import { decodeTree } from "./tree_decoder.ts";
import { readDirOrEmpty } from "./_fs.ts";
import { appendCuts, readCuts } from "./_cuts.ts";
import { closureChecker, listObjects } from "./_walk.ts";
import { verifyClosure } from "./verify.ts";

// A span for a trace of where time goes; no stack trace is captured (on the hit path
// that would cost more than the rest of the span).
const traced = (name: string, attributes: Record<string, unknown>) =>
  Effect.withSpan(name, { attributes }, { captureStackTrace: false });
import { repair, type RepairReport } from "./repair.ts";
import {
  LEASE_REFRESH_MS,
  type LeaseHolder,
  leaseHolder,
  leaseIsOurs,
  leaseNameProblem,
  refreshLease,
  releaseLease,
  tryLease,
} from "./lease.ts";

/** Effect-returning access to one append-only index. */
export interface IndexHandle {
  /** The newest value of `key`, if any. */
  readonly get: (key: string) => Effect.Effect<string | undefined, StoreError>;
  /** Every value of `key`, oldest first. */
  readonly getAll: (key: string) => Effect.Effect<readonly string[], StoreError>;
  /** Appends an entry (one write). */
  readonly append: (key: string, value: string) => Effect.Effect<void, StoreError>;
  /** Appends several entries with one write. */
  readonly appendMany: (
    entries: readonly (readonly [string, string])[],
  ) => Effect.Effect<void, StoreError>;
  /** Rewrites the index without superseded entries (with `unique`) and damaged lines. */
  readonly compact: (
    unique?: boolean,
  ) => Effect.Effect<{ rejected: number; duplicates: number }, StoreError>;
  /** Every key and its values, oldest first, after reading new entries (one stat). */
  readonly snapshot: () => Effect.Effect<ReadonlyMap<string, readonly string[]>, StoreError>;
  /**
   * The entries appended after byte `offset` of the log (at most about `maxBytes` of
   * them; call again from `end`), with the inode of the file read: a derived copy
   * kept elsewhere absorbs the tail, and starts again when the inode changes (the
   * log was compacted or pruned).
   */
  readonly tail: (offset: number, maxBytes?: number) => Effect.Effect<IndexTail, StoreError>;
}

/** An index entry to append only when the objects it depends on are all there. */
export interface EntryNeeding {
  /** The index the entry goes to. */
  readonly index: string;
  /** Its key. */
  readonly key: string;
  /** Its value. */
  readonly value: string;
  /** Objects that must be present, each with its whole closure. */
  readonly needs: readonly ObjectId[];
}

/** A ref update: compare-and-swap on `expected` when given. */
export interface RefUpdateOptions {
  /** The value the ref must have now (null: it must not exist); absent: any. */
  readonly expected?: ObjectId | null;
  /** The reflog line's message. */
  readonly message: string;
}

/** The store's interface. */
export interface ObjectStoreApi {
  /** Absolute path of the store root. */
  readonly root: string;
  /** Stores a payload as an object of `kind`. */
  readonly put: (kind: ObjectKind, payload: Uint8Array) => Effect.Effect<PutResult, StoreError>;
  /** Stores bytes as a blob. */
  readonly putBlob: (bytes: Uint8Array) => Effect.Effect<PutResult, StoreError>;
  /** Stores a record (canonical JSON). */
  readonly putRecord: (record: StoreRecord) => Effect.Effect<PutResult, StoreError>;
  /** Ingests a file; `move` renames it into the store (the caller gives it up). */
  readonly putFile: (
    path: string,
    options?: { readonly move?: boolean },
  ) => Effect.Effect<FilePutResult, StoreError>;
  /** Ingests a directory as a tree, recursively. */
  readonly putDir: (
    path: string,
    options?: { readonly move?: boolean },
  ) => Effect.Effect<DirPutResult, StoreError>;
  /** Whether object `id` is present (not verified). */
  readonly has: (id: ObjectId) => Effect.Effect<boolean, StoreError>;
  /**
   * The ids of `ids` the store lacks (not verified), in the order given: one call for
   * many ids, which a remote answers with listings and lookups in parallel.
   */
  readonly missing: (ids: readonly ObjectId[]) => Effect.Effect<readonly ObjectId[], StoreError>;
  /** Every object id in the store. */
  readonly listObjects: () => Effect.Effect<readonly ObjectId[], StoreError>;
  /** Which kind object `id` is, proven by hashing. */
  readonly identify: (id: ObjectId) => Effect.Effect<ObjectKind, StoreError>;
  /**
   * True when object `id` (of `kind`) and, for a tree, every member are present and
   * intact; every damaged object found is set aside, so a put can write it again.
   */
  readonly verify: (id: ObjectId, kind: ObjectKind) => Effect.Effect<boolean, StoreError>;
  /** Sets object `id` aside if its bytes are damaged, so a put can write it again; true if so. */
  readonly removeDamaged: (id: ObjectId) => Effect.Effect<boolean, StoreError>;
  /** Reads a blob, verified. */
  readonly readBlob: (id: ObjectId) => Effect.Effect<Uint8Array, StoreError>;
  /** Reads a tree's entries, verified. */
  readonly readTree: (id: ObjectId) => Effect.Effect<readonly TreeEntry[], StoreError>;
  /** Reads a record, verified. */
  readonly readRecord: (id: ObjectId) => Effect.Effect<StoreRecord, StoreError>;
  /** Streams a blob to a synchronous sink; fails with `IntegrityMismatch` at the end if damaged. */
  readonly streamBlob: (
    id: ObjectId,
    sink: (chunk: Uint8Array) => void,
  ) => Effect.Effect<number, StoreError>;
  /** Writes object `id` to `dest` (see `MaterializeOptions`). */
  readonly materialize: (
    id: ObjectId,
    dest: string,
    options?: MaterializeOptions,
  ) => Effect.Effect<MaterializeResult, StoreError>;
  /** The unique object id starting with `prefix` (at least 4 hex characters). */
  readonly resolve: (prefix: string) => Effect.Effect<ObjectId, StoreError>;
  /** The object a ref names, or null when there is no such ref. */
  readonly readRef: (name: string) => Effect.Effect<ObjectId | null, StoreError>;
  /** Sets (or, with `null`, deletes) a ref; compare-and-swap on `expected`. */
  readonly updateRef: (
    name: string,
    id: ObjectId | null,
    options: RefUpdateOptions,
  ) => Effect.Effect<void, StoreError>;
  /** Every ref under `prefix`, sorted by name. */
  readonly listRefs: (
    prefix?: string,
  ) => Effect.Effect<readonly { name: string; id: ObjectId }[], StoreError>;
  /** The reflog of `name`, oldest first. */
  readonly reflog: (name: string) => Effect.Effect<readonly ReflogEntry[], StoreError>;
  /** The append-only index `name`. */
  readonly index: (name: string) => IndexHandle;
  /**
   * Appends the entries whose `needs` are present with complete closures, checked and
   * appended under the shared gc lock, so no gc pass can remove what they name in
   * between (a rebuilt index can never name what a concurrent gc removed). Returns
   * how many were appended and the needed ids whose closures were not complete.
   */
  readonly appendIfComplete: (
    entries: readonly EntryNeeding[],
  ) => Effect.Effect<{ appended: number; incomplete: readonly ObjectId[] }, StoreError>;
  /**
   * Links cut on purpose — a history a retention policy shortened, here or in the
   * store it was copied from: record → the links of it whose objects are gone. fsck
   * and gc do not call them missing; a push or pull carries them instead of the objects.
   */
  readonly cuts: () => Effect.Effect<ReadonlyMap<ObjectId, ReadonlySet<ObjectId>>, StoreError>;
  /**
   * Records links cut on purpose elsewhere (a shortened history being copied here),
   * before the records that have them are written; pairs already known are skipped.
   */
  readonly addCuts: (
    pairs: readonly (readonly [from: ObjectId, to: ObjectId])[],
  ) => Effect.Effect<void, StoreError>;
  /** The blob id of an external file, through the stat cache. */
  readonly fileId: (path: string) => Effect.Effect<FileIdResult, StoreError>;
  /** Registers temporary gc roots for this process (kept until the layer is released); true when all are present. */
  readonly protect: (ids: readonly ObjectId[]) => Effect.Effect<boolean, StoreError>;
  /** Garbage collection; returns what it removed. */
  readonly gc: (options?: GcOptions) => Effect.Effect<GcReport, StoreError>;
  /** Checks the whole store; returns every problem found. */
  readonly fsck: (options?: FsckOptions) => Effect.Effect<FsckReport, StoreError>;
  /**
   * A full fsck, then the repairs that need no knowledge of what objects mean: damaged
   * objects set aside, writable ones made read-only, refs to damaged objects reset
   * from their reflogs (see `repair.ts`).
   */
  readonly repair: (options?: FsckOptions) => Effect.Effect<
    { readonly fsck: FsckReport; readonly repair: RepairReport },
    StoreError
  >;
  /**
   * Takes lease `name` — "this process is computing it" — for the scope, refreshing
   * it while the scope lasts and releasing it when the scope closes; undefined when a
   * live process holds it (never waits). A lease whose holder is gone, or that its
   * holder stopped refreshing, is broken and taken. A lease only saves work: nothing
   * is wrong when two processes compute the same thing.
   */
  readonly lease: (name: string) => Effect.Effect<Lease | undefined, StoreError, Scope.Scope>;
  /** The process holding lease `name`, or undefined when it is free. */
  readonly leaseHolder: (name: string) => Effect.Effect<LeaseHolder | undefined, StoreError>;
}

/** A lease this process holds (see {@linkcode ObjectStoreApi.lease}). */
export interface Lease {
  /** The lease's name. */
  readonly name: string;
  /** Whether it is still this process's (false once another process broke it). */
  readonly held: Effect.Effect<boolean, StoreError>;
}

/** Options for opening a store. */
export interface StoreOptions {
  /** Store root; default `$CAIRN_STORE`, else `.cairn` in the working directory. */
  readonly root?: string;
  /** Create the store when missing (default true). */
  readonly create?: boolean;
  /** fsync objects as well as refs (default: `CAIRN_FSYNC=1`). */
  readonly durable?: boolean;
}

const attempt = <A>(op: string, path: string, f: () => A): Effect.Effect<A, StoreError> =>
  Effect.try({ try: f, catch: toStoreError(op, path) });

/** The default store root: `$CAIRN_STORE`, else `./.cairn`. *
 * @example The store a script uses when it does not say
 * ```ts
 * import assert from "node:assert/strict"
 * import { defaultStoreRoot } from "cairn"
 *
 * Deno.env.set("CAIRN_STORE", "/data/model/.cairn")
 * assert.equal(defaultStoreRoot(), "/data/model/.cairn")
 * Deno.env.delete("CAIRN_STORE")
 * ```
 */
export const defaultStoreRoot = (): string => resolve(Deno.env.get("CAIRN_STORE") || ".cairn");

// How long to sleep before trying again an operation that found gc.lock held by another
// process (a gc: seconds, rarely more): 1, 2, 4 … then every 50 ms.
const LOCK_WAIT = Schedule.min([Schedule.exponential("1 millis"), Schedule.spaced("50 millis")]);

const makeApi = (ctx: StoreContext): ObjectStoreApi => {
  const root = ctx.layout.root;
  // Runs a store operation. A lock another process holds is waited for here, asleep in
  // the Effect runtime — interruptible, the event loop free, so Ctrl-C works while gc
  // runs elsewhere — and the operation is run again from its start: each one either
  // finished nothing before it met the lock or is safe to repeat. `hold` takes the lock
  // for the whole operation (a directory ingest moves files: it must not stop half-way).
  const attempt = <A>(
    op: string,
    path: string,
    f: () => A,
    hold?: "shared" | "exclusive",
  ): Effect.Effect<A, StoreError> => {
    const once = (): { value: A } | { error: StoreError } | WouldBlock => {
      try {
        if (!hold) return { value: f() };
        ctx.session.hold(hold === "exclusive");
        try {
          return { value: f() };
        } finally {
          ctx.session.release();
        }
      } catch (e) {
        return e instanceof WouldBlock ? e : { error: toStoreError(op, path)(e) };
      }
    };
    // The common case costs one call: no retry machinery unless the lock is held.
    const settle = (r: { value: A } | { error: StoreError }) =>
      "value" in r ? Effect.succeed(r.value) : Effect.fail(r.error);
    return Effect.suspend(() => {
      const first = once();
      if (!(first instanceof WouldBlock)) return settle(first);
      return Effect.suspend(() => {
        const r = once();
        return r instanceof WouldBlock ? Effect.fail(r) : settle(r);
      }).pipe(
        Effect.retry({ while: (e) => e instanceof WouldBlock, schedule: LOCK_WAIT }),
        // Retried for as long as it would block: only store errors come out.
        Effect.catchIf((e): e is WouldBlock => e instanceof WouldBlock, (e) => Effect.die(e)),
      );
    });
  };

  const indexes = new Map<string, AppendIndex>();
  const indexOf = (name: string): AppendIndex => {
    let index = indexes.get(name);
    if (!index) {
      index = new AppendIndex(ctx.layout, name);
      indexes.set(name, index);
    }
    return index;
  };
  const statIndex = () => indexOf("stat");
  return {
    root,
    put: (kind, payload) => attempt("write object", root, () => putBytes(ctx, kind, payload)),
    putBlob: (bytes) => attempt("write blob", root, () => putBytes(ctx, "blob", bytes)),
    putRecord: (record) =>
      attempt("write record", root, () => putBytes(ctx, "record", encodeRecord(record))),
    putFile: (path, options) =>
      attempt("store file", path, () => putFile(ctx, path, options?.move ?? false)).pipe(
        traced("cairn.ingest", { path, kind: "file" }),
      ),
    putDir: (path, options) =>
      attempt("store directory", path, () => putDir(ctx, path, options?.move ?? false), "shared")
        .pipe(
          traced("cairn.ingest", { path, kind: "directory" }),
        ),
    listObjects: () => attempt("list objects", root, () => listObjects(ctx).ids),
    has: (id) => attempt("check object", id, () => hasObject(ctx, id)),
    missing: (ids) => attempt("check objects", root, () => ids.filter((id) => !hasObject(ctx, id))),
    identify: (id) => attempt("identify object", id, () => identify(ctx, id)),
    removeDamaged: (id) => attempt("remove damaged object", id, () => removeDamaged(ctx, id)),
    verify: (id, kind) => attempt("verify object", id, () => verifyClosure(ctx, id, kind)),
    readBlob: (id) => attempt("read blob", id, () => readVerified(ctx, id, "blob")),
    readTree: (id) => attempt("read tree", id, () => decodeTree(readVerified(ctx, id, "tree"), id)),
    readRecord: (id) =>
      attempt("read record", id, () => decodeRecord(readVerified(ctx, id, "record"), id)),
    streamBlob: (id, sink) => attempt("read blob", id, () => streamBlob(ctx, id, sink)),
    materialize: (id, dest, options) =>
      attempt("materialize", dest, () => materialize(ctx, id, dest, options)),
    resolve: (prefix) => attempt("resolve id", prefix, () => resolvePrefix(ctx, prefix)),
    readRef: (name) => attempt("read ref", name, () => readRef(ctx.layout, name)),
    updateRef: (name, id, options) =>
      attempt(
        "update ref",
        name,
        () => updateRef(ctx.layout, name, id, { ...options, durable: true }),
      ),
    listRefs: (prefix) => attempt("list refs", root, () => listRefs(ctx.layout, prefix)),
    reflog: (name) => attempt("read reflog", name, () => readReflog(ctx.layout, name)),
    index: (name) => ({
      get: (key) => attempt("read index", name, () => indexOf(name).get(key)),
      getAll: (key) => attempt("read index", name, () => indexOf(name).getAll(key)),
      appendMany: (entries) =>
        attempt("append to index", name, () => indexOf(name).appendMany(entries)),
      append: (key, value) =>
        attempt("append to index", name, () => indexOf(name).append(key, value)),
      snapshot: () => attempt("read index", name, () => indexOf(name).entries()),
      tail: (offset, maxBytes) =>
        attempt("read index", name, () => readIndexTail(indexOf(name).path, offset, maxBytes)),
      compact: (unique) =>
        attempt("compact index", name, () => indexOf(name).compact({ unique: unique ?? false })),
    }),
    appendIfComplete: (entries) =>
      attempt("append to index", root, () =>
        ctx.session.locked(() => {
          const complete = closureChecker(ctx);
          const byIndex = new Map<string, [string, string][]>();
          const incomplete = new Set<ObjectId>();
          let appended = 0;
          for (const entry of entries) {
            const missing = entry.needs.filter((id) => !complete(id));
            for (const id of missing) incomplete.add(id);
            if (missing.length > 0) continue;
            const list = byIndex.get(entry.index) ?? [];
            list.push([entry.key, entry.value]);
            byIndex.set(entry.index, list);
            appended++;
          }
          for (const [name, list] of byIndex) indexOf(name).appendMany(list);
          return { appended, incomplete: [...incomplete] };
        })),
    cuts: () => attempt("read cut links", root, () => readCuts(ctx.layout.cuts)),
    addCuts: (pairs) =>
      attempt("record cut links", root, () => appendCuts(ctx.layout.cuts, pairs), "shared"),
    fileId: (path) =>
      attempt(
        "hash file",
        path,
        () => statCachedFileId(statIndex(), resolve(path), () => ctx.session.fsNow()),
      ),
    protect: (ids) =>
      attempt("register gc roots", root, () =>
        ctx.session.locked(() => {
          ctx.session.protect(ids);
          // Checked under the same lock: present now means kept until the session ends.
          return ids.every((id) => hasObject(ctx, id));
        })),
    gc: (options) =>
      attempt("collect garbage", root, () => gc(ctx, options), "exclusive").pipe(
        traced("cairn.gc", { root }),
      ),
    fsck: (options) =>
      attempt("check store", root, () => fsck(ctx, options)).pipe(
        traced("cairn.fsck", { root }),
      ),
    repair: (options) =>
      attempt("repair store", root, () => {
        const report = fsck(ctx, { ...options, quick: false });
        return { fsck: report, repair: repair(ctx, report) };
      }),
    lease: (name) => {
      const problem = leaseNameProblem(name);
      if (problem) {
        return Effect.fail(
          storeError(new InvalidInput({ what: `lease "${name}"`, detail: problem })),
        );
      }
      // The session starts first, outside the lease's acquisition: starting it may wait
      // for gc.lock, and that wait must stay interruptible (an acquisition is not).
      const take = Effect.acquireRelease(
        attempt("take lease", name, () => tryLease(ctx.layout, name)),
        (held) =>
          held
            ? Effect.orElseSucceed(
              attempt("release lease", name, () => releaseLease(held)),
              () => {},
            )
            : Effect.void,
      ).pipe(
        Effect.tap((held) =>
          held
            ? Effect.forkScoped(
              Effect.sleep(LEASE_REFRESH_MS).pipe(
                Effect.andThen(attempt("refresh lease", name, () => refreshLease(held))),
                Effect.repeat({ while: (ours) => ours }),
                Effect.ignore,
              ),
            )
            : Effect.void
        ),
        Effect.map((held) =>
          held ? { name, held: attempt("read lease", name, () => leaseIsOurs(held)) } : undefined
        ),
      );
      // The session starts first, outside the lease's acquisition: starting it may wait
      // for gc.lock, and that wait must stay interruptible (an acquisition is not).
      return Effect.andThen(attempt("start session", name, () => ctx.session.begin()), take);
    },
    leaseHolder: (name) => attempt("read lease", name, () => leaseHolder(ctx.layout, name)),
  };
};

const resolvePrefix = (ctx: StoreContext, prefix: string): ObjectId => {
  if (!/^[0-9a-f]{4,64}$/.test(prefix)) {
    throw storeError(
      new InvalidInput({ what: `id "${prefix}"`, detail: "give 4 to 64 lowercase hex characters" }),
    );
  }
  const dir = `${ctx.layout.objects}/${prefix.slice(0, 2)}`;
  const rest = prefix.slice(2);
  const matches = readDirOrEmpty(dir).filter((e) => e.name.startsWith(rest)).map((e) =>
    prefix.slice(0, 2) + e.name
  );
  if (matches.length !== 1) throw storeError(new AmbiguousId({ prefix, matches: matches.length }));
  return matches[0]!;
};

const open = (options: StoreOptions): Effect.Effect<ObjectStoreApi, StoreError, Scope.Scope> => {
  const root = options.root ? resolve(options.root) : defaultStoreRoot();
  return Effect.acquireRelease(
    attempt("open store", root, () => {
      const layout = openLayout(root, options.create ?? true);
      return {
        layout,
        session: new WriterSession(layout, { blocking: false }),
        durable: options.durable ?? Deno.env.get("CAIRN_FSYNC") === "1",
        fanout: new Set<string>(),
      } satisfies StoreContext;
    }),
    (ctx) => Effect.sync(() => ctx.session.close()),
  ).pipe(Effect.map(makeApi));
};

/**
 * The content-addressed object store service.
 *
 * @example Writing and reading a blob
 * ```ts
 * import assert from "node:assert/strict"
 * import { Effect } from "effect"
 * import { ObjectStore } from "cairn"
 *
 * const program = Effect.gen(function* () {
 *   const store = yield* ObjectStore
 *   const { id } = yield* store.putBlob(new TextEncoder().encode("hello"))
 *   return yield* store.readBlob(id) // verified: damaged bytes fail with IntegrityMismatch
 * })
 * const bytes = await Effect.runPromise(program.pipe(Effect.provide(ObjectStore.layerTemp)))
 * assert.equal(new TextDecoder().decode(bytes), "hello")
 * ```
 */
export class ObjectStore
  extends Context.Service<ObjectStore, ObjectStoreApi>()("cairn/ObjectStore") {
  /** The store on disk at `options.root` (default `$CAIRN_STORE` or `./.cairn`). */
  static layer(options: StoreOptions = {}): Layer.Layer<ObjectStore, StoreError> {
    return Layer.effect(ObjectStore, open(options));
  }

  /** A fresh store in a temporary directory, removed when the layer is released. */
  static readonly layerTemp: Layer.Layer<ObjectStore, StoreError> = Layer.effect(
    ObjectStore,
    Effect.acquireRelease(
      attempt("create temp dir", "", () => Deno.makeTempDirSync({ prefix: "cairn-store-" })),
      (dir) => Effect.sync(() => Deno.removeSync(dir, { recursive: true })),
    ).pipe(Effect.flatMap((dir) => open({ root: `${dir}/store` }))),
  );
}

/** Opens the store at `root` outside any layer (for tools and tests); close when done. */
export const openStoreContext = (
  root: string,
  options: Omit<StoreOptions, "root"> = {},
): StoreContext => {
  const layout = openLayout(resolve(root), options.create ?? true);
  return {
    layout,
    session: new WriterSession(layout),
    durable: options.durable ?? false,
    fanout: new Set(),
  };
};
