/**
 * A local store with a remote behind it, as a run with a remote cache sees it: every
 * read of an object the local store lacks — a blob decoded, a tree materialized, a
 * record read — downloads its closure from the remote (verified: the remote's read
 * hashes it, the local write hashes it again and must give the same id), writes it
 * locally, then reads it as usual (`identify` only asks the remote what it is); a cache lookup that misses locally asks the
 * remote's cache index, and a remote entry is adopted: its run record and the
 * records that run links (the runs that made its inputs, transitively) come into
 * the local store with their lineage entries, while its outputs' bytes stay on the
 * remote until something reads them. So a hit whose consumer is itself a hit never
 * downloads a byte of output.
 *
 * The remote is best effort for lookups: one that fails (the server gone) is said
 * once and the run goes on locally. A read of bytes held only by the remote fails as
 * it would without one when the remote cannot give them.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { IoFailure, type StoreError, storeError } from "../../store/errors.ts";
import type { ObjectId, ObjectKind } from "../../store/object_id.ts";
import type { IndexHandle, ObjectStoreApi } from "../../store/object_store.ts";
import { CACHE_INDEX, decodeCacheValue } from "../model/cache_entry.ts";
import { LINEAGE_INDEX, lineageEntries, summaryOfRecord } from "../model/lineage_entry.ts";
import { decodeRunRecord } from "../model/run_record.ts";
import { copyObjects, type CopyReport } from "./copy_objects.ts";
import { RemoteError } from "./remote_error.ts";
import type { TypedLink } from "./typed_links.ts";
import { withScratch } from "./_scratch.ts";

/** What the remote gave and was asked, counted as it happens. */
export interface RemoteReadStats {
  /** Cache lookups that missed locally and were asked of the remote. */
  lookups: number;
  /** Those the remote answered with a usable entry. */
  hits: number;
  /** Records brought in with the remote's hits (run records and the runs they link). */
  records: number;
  /** Blobs and trees downloaded because something read them. */
  objects: number;
  /** Their payload bytes. */
  bytes: number;
  /** The ids of those blobs and trees, in the order they were downloaded. */
  readonly downloaded: ObjectId[];
}

/** The state a remote-backed store shares with the run's write-through. */
export interface RemoteBacking {
  /** The remote's name. */
  readonly name: string;
  /**
   * The remote store, opened on first use (a run whose steps all hit locally never
   * loads the SDK); undefined when it cannot be opened (said; `down` is set).
   */
  readonly remote: Effect.Effect<ObjectStoreApi | undefined>;
  /**
   * True for a while after the remote failed: meanwhile the run stays local, and
   * then tries the remote again (see {@linkcode downFor}).
   */
  down: boolean;
  readonly stats: RemoteReadStats;
  /** Cache entries adopted from the remote, by key (asked once a run). */
  readonly adopted: Map<string, string>;
  /** Runs and outputs of adopted entries: on the remote (which names only what it holds whole). */
  readonly onRemote: Set<ObjectId>;
  /** Writes a warning line. */
  readonly warn: (line: string) => void;
}

/** A remote operation's failure, as the store's typed error. */
export const ioFailure = (op: string, name: string, cause: string): StoreError =>
  storeError(new IoFailure({ op, path: name, cause }));

/** The remote, or a failure saying it cannot be opened (for what must reach it). */
export const remoteOrFail = (
  remote: Effect.Effect<ObjectStoreApi | undefined>,
  name: string,
  op: string,
) =>
  Effect.flatMap(
    remote,
    (r) =>
      r
        ? Effect.succeed(r)
        : Effect.fail(ioFailure(op, name, `the remote "${name}" cannot be opened`)),
  );

/** Marks the remote down and says so (once each time it goes down). */
export const remoteFailed = (backing: RemoteBacking, what: string, e: unknown): void => {
  if (backing.down) return;
  backing.down = true;
  backing.warn(
    `[cairn] remote "${backing.name}": ${what} failed (${
      e instanceof Error ? e.message : String(e)
    }); the run goes on with the local store only, and tries the remote again later`,
  );
};

/**
 * A `down` flag that clears itself `ms` after it was set: the state of
 * {@linkcode RemoteBacking.down} (a remote that failed is tried again after that).
 */
export const downFor = (ms: number): { down: boolean } => {
  let since: number | undefined;
  return {
    get down() {
      if (since !== undefined && Date.now() - since >= ms) since = undefined;
      return since !== undefined;
    },
    set down(value: boolean) {
      since = value ? Date.now() : undefined;
    },
  };
};

/**
 * Downloads the closures of `links` the local store lacks from the remote (records
 * only for a record link), verified, counting what came.
 */
export const download = (
  local: ObjectStoreApi,
  backing: RemoteBacking,
  links: readonly TypedLink[],
): Effect.Effect<CopyReport, StoreError | RemoteError> =>
  Effect.gen(function* () {
    // Only what is absent here: a miss whose inputs are all local never opens the remote.
    const absent = new Set(yield* local.missing(links.map((l) => l.id)));
    const records = links.filter((l) => l.kind === "record" && absent.has(l.id));
    const bytes = links.filter((l) => l.kind !== "record" && absent.has(l.id));
    if (records.length + bytes.length === 0) {
      return { objects: 0, bytes: 0, present: links.length, records: new Map(), cutLinks: 0 };
    }
    const remote = yield* backing.remote;
    if (!remote) {
      return yield* Effect.fail(
        new RemoteError({
          detail: `Cannot download ${
            [...absent].join(", ")
          }: the remote "${backing.name}" is not open`,
        }),
      );
    }
    const copy = (roots: readonly TypedLink[], withBytes: boolean) =>
      roots.length === 0 ? Effect.succeed(undefined) : withScratch(
        local,
        (scratch) =>
          copyObjects(remote, local, roots, { bytes: withBytes, trustPresent: true, scratch }),
      );
    const ofRecords = yield* copy(records, false);
    const ofBytes = yield* copy(bytes, true);
    if (ofRecords) backing.stats.records += ofRecords.objects;
    if (ofBytes) {
      backing.stats.objects += ofBytes.objects;
      backing.stats.bytes += ofBytes.bytes;
      backing.stats.downloaded.push(...bytes.map((l) => l.id));
    }
    return {
      objects: (ofRecords?.objects ?? 0) + (ofBytes?.objects ?? 0),
      bytes: (ofRecords?.bytes ?? 0) + (ofBytes?.bytes ?? 0),
      present: (ofRecords?.present ?? 0) + (ofBytes?.present ?? 0),
      records: new Map([...(ofRecords?.records ?? []), ...(ofBytes?.records ?? [])]),
      cutLinks: (ofRecords?.cutLinks ?? 0) + (ofBytes?.cutLinks ?? 0),
    };
  });

/**
 * Adopts the remote's cache entry `value` of `key`: its run record and the records it
 * links come into the local store with their lineage entries; its outputs' bytes stay
 * on the remote until something reads them.
 */
export const adopt = (
  local: ObjectStoreApi,
  backing: RemoteBacking,
  key: string,
  value: string,
): Effect.Effect<void, StoreError | RemoteError> =>
  Effect.gen(function* () {
    const entry = decodeCacheValue(value)!;
    const copied = yield* download(local, backing, [{ id: entry.run, kind: "record" }]);
    const lineage: [string, string][] = [];
    for (const [id, raw] of copied.records) {
      const record = decodeRunRecord(raw);
      if (record) lineage.push(...lineageEntries(id, summaryOfRecord(record)));
    }
    if (lineage.length > 0) yield* local.index(LINEAGE_INDEX).appendMany(lineage);
    backing.onRemote.add(entry.run);
    for (const output of Object.values(entry.outputs)) backing.onRemote.add(output.id);
    backing.adopted.set(key, value);
  });

/**
 * The local store `local` with `backing`'s remote behind it (see the module doc).
 *
 * @example Without a remote it is the local store
 * ```ts
 * import assert from "node:assert/strict"
 * import { Effect } from "effect"
 * import { ObjectStore } from "cairn"
 * import { remoteBacked } from "./remote_backed_store.ts"
 *
 * const text = await Effect.runPromise(
 *   Effect.gen(function* () {
 *     const local = yield* ObjectStore
 *     const stats = { lookups: 0, hits: 0, records: 0, objects: 0, bytes: 0, downloaded: [] }
 *     const store = remoteBacked(local, {
 *       name: "origin", remote: Effect.succeed(undefined), down: true, stats, adopted: new Map(),
 *       onRemote: new Set(), warn: () => {},
 *     })
 *     const { id } = yield* store.putBlob(new TextEncoder().encode("hi"))
 *     return new TextDecoder().decode(yield* store.readBlob(id))
 *   }).pipe(Effect.provide(ObjectStore.layerTemp)),
 * )
 * assert.equal(text, "hi")
 * ```
 */
export const remoteBacked = (local: ObjectStoreApi, backing: RemoteBacking): ObjectStoreApi => {
  const onRemote = backing.onRemote;

  const fetch = (link: TypedLink) => download(local, backing, [link]);

  // Runs `read`; when the local store lacks the object, fetches it and reads again.
  const orFetch = <A>(
    id: ObjectId,
    kind: ObjectKind | undefined,
    read: () => Effect.Effect<A, StoreError>,
  ) =>
    read().pipe(
      Effect.catchReason("StoreError", "ObjectNotFound", (_, error) =>
        // A kind not known is asked of the remote first: a record comes without the
        // bytes it links to, as a record read anywhere else here does.
        (kind ? Effect.succeed(kind) : kindOnRemote(id, error)).pipe(
          Effect.flatMap((k) => fetch({ id, kind: k })),
          // Found nowhere: what a store without a remote says. The remote's own failures
          // (the server gone) are said as they are.
          Effect.mapError((e) => (e._tag === "RemoteError" ? error : e)),
          Effect.andThen(read),
        )),
    );

  const kindOnRemote = (id: ObjectId, notFound: StoreError) =>
    backing.down ? Effect.fail(notFound) : Effect.flatMap(
      backing.remote,
      (r) => (r ? r.identify(id) : Effect.fail(notFound)),
    );

  const cacheIndex = (handle: IndexHandle): IndexHandle => ({
    ...handle,
    get: (key) =>
      Effect.gen(function* () {
        const mine = yield* handle.get(key);
        if (mine !== undefined && decodeCacheValue(mine)) return mine;
        const known = backing.adopted.get(key);
        if (known !== undefined) return known;
        if (backing.down) return mine;
        const remote = yield* backing.remote;
        if (!remote) return mine;
        backing.stats.lookups++;
        const theirs = yield* remote.index(CACHE_INDEX).get(key).pipe(
          Effect.flatMap((v) =>
            v !== undefined && decodeCacheValue(v)
              ? adopt(local, backing, key, v).pipe(Effect.as(v as string | undefined))
              : Effect.succeed(undefined)
          ),
          Effect.catch((e) =>
            Effect.sync(() => (remoteFailed(backing, "a cache lookup", e), undefined))
          ),
        );
        if (theirs === undefined) return mine;
        backing.stats.hits++;
        return theirs;
      }),
  });

  return {
    ...local,
    index: (name) => (name === CACHE_INDEX ? cacheIndex(local.index(name)) : local.index(name)),
    // What an adopted entry's run made is present enough: its bytes come on first read,
    // and nothing here can remove them from the remote.
    protect: (ids) =>
      local.protect(ids).pipe(
        Effect.flatMap((all) =>
          all ? Effect.succeed(true) : local.missing(ids).pipe(
            Effect.map((absent) => absent.every((id) => onRemote.has(id))),
          )
        ),
      ),
    // An id the local store lacks may be one the remote holds (bytes a pull left there).
    resolve: (prefix) =>
      local.resolve(prefix).pipe(
        Effect.catchReason("StoreError", "AmbiguousId", (reason, error) =>
          reason.matches === 0 && !backing.down
            ? Effect.flatMap(backing.remote, (r) => (r ? r.resolve(prefix) : Effect.fail(error)))
            : Effect.fail(error)),
      ),
    // What an object is, asked of the remote when absent here, downloads nothing: a
    // query that only names it (lineage of an id) must not bring a tree's bytes.
    identify: (id) =>
      local.identify(id).pipe(
        Effect.catchReason("StoreError", "ObjectNotFound", (_, error) => kindOnRemote(id, error)),
      ),
    readBlob: (id) => orFetch(id, "blob", () => local.readBlob(id)),
    readTree: (id) => orFetch(id, "tree", () => local.readTree(id)),
    readRecord: (id) => orFetch(id, "record", () => local.readRecord(id)),
    streamBlob: (id, sink) => orFetch(id, "blob", () => local.streamBlob(id, sink)),
    materialize: (id, dest, options) =>
      orFetch(id, options?.kind, () => local.materialize(id, dest, options)),
    verify: (id, kind) =>
      local.has(id).pipe(
        Effect.flatMap((here) =>
          here || !onRemote.has(id) ? local.verify(id, kind) : fetch({ id, kind }).pipe(
            Effect.andThen(local.verify(id, kind)),
            Effect.orElseSucceed(() => false),
          )
        ),
      ),
  };
};
