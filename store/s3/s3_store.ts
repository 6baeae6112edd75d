/**
 * The object store over the S3 API (AWS S3, Ceph radosgw, MinIO, R2, …): the same
 * `ObjectStoreApi` as the disk store, laid out under `s3://bucket/prefix/` as the
 * README's store-format section says. Loaded only by `layerS3` (the SDK
 * costs ~90 ms to import, which no command that stays local should pay).
 *
 * What a bucket cannot do is refused with `Unsupported` rather than pretended: no
 * fsck or repair, and `protect` only says whether the ids are present — a remote
 * has no live sessions to protect. gc is the disk store's with the bucket's
 * limits made up for (`s3_gc.ts`): a grace period on Last-Modified, no lock.
 *
 * @module
 */
import { CreateBucketCommand, HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import * as Effect from "effect/Effect";
import type * as Scope from "effect/Scope";
import { createHash } from "node:crypto";
import {
  AmbiguousId,
  InvalidInput,
  IoFailure,
  type StoreError,
  storeError,
  toStoreError,
  Unsupported,
  UnsupportedStore,
} from "../errors.ts";
import { LEASE_REFRESH_MS, LEASE_STALE_MS, leaseNameProblem } from "../lease.ts";
import type { ObjectId } from "../object_id.ts";
import type { ObjectStoreApi } from "../object_store.ts";
import { decodeRecord, encodeRecord } from "../record.ts";
import { decodeTree } from "../tree_decoder.ts";
import { type Bucket, describe, getObject, headObject, listKeys, putObject } from "./_bucket.ts";
import { idOfObjectKey, keysOf, S3_FORMAT_LINE } from "./_keys.ts";
import { materializeS3, putS3Dir, putS3File } from "./s3_files.ts";
import { addS3Cuts, s3Cuts } from "./s3_cuts.ts";
import { s3Gc } from "./s3_gc.ts";
import { s3Index } from "./s3_index.ts";
import {
  refreshS3Lease,
  releaseS3Lease,
  s3LeaseHolder,
  s3LeaseIsOurs,
  takeS3LeaseOfDead,
  tryS3Lease,
} from "./s3_lease.ts";
import {
  closureCheck,
  identifyObject,
  putPayload,
  readVerified,
  removeDamagedObject,
  type S3Context,
  streamObject,
  verifyObject,
} from "./s3_objects.ts";
import { listS3Refs, readS3Ref, readS3Reflog, updateS3Ref } from "./s3_refs.ts";
import type { S3StoreOptions } from "./s3_store_options.ts";

const unsupported = (url: string, op: string, detail: string) =>
  Effect.fail(storeError(new Unsupported({ op, backend: url, detail })));

const prefixOf = (prefix: string | undefined): string => {
  const p = (prefix ?? "").replace(/^\/+|\/+$/g, "");
  return p === "" ? "" : `${p}/`;
};

const ensureBucket = (b: Bucket, create: boolean) =>
  Effect.tryPromise({
    try: async (abortSignal) => {
      try {
        await b.client.send(new HeadBucketCommand({ Bucket: b.bucket }), { abortSignal });
      } catch (e) {
        const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (status !== 404 || !create) throw e;
        await b.client.send(new CreateBucketCommand({ Bucket: b.bucket }), { abortSignal });
      }
    },
    catch: (e) => storeError(new IoFailure({ op: "open bucket", path: b.url, cause: describe(e) })),
  });

const ensureFormat = (ctx: S3Context, create: boolean): Effect.Effect<void, StoreError> =>
  Effect.gen(function* () {
    const got = yield* getObject(ctx.bucket, ctx.keys.format);
    if (got !== undefined) {
      const line = new TextDecoder().decode(got.bytes).split("\n")[0];
      if (line === S3_FORMAT_LINE) return;
      return yield* Effect.fail(
        storeError(
          new UnsupportedStore({
            root: ctx.url,
            detail: `its format file says "${line}", not "${S3_FORMAT_LINE}"; use another prefix`,
          }),
        ),
      );
    }
    if (!create) {
      return yield* Effect.fail(
        storeError(new UnsupportedStore({ root: ctx.url, detail: "no cairn store is there" })),
      );
    }
    const put = yield* putObject(ctx.bucket, ctx.keys.format, `${S3_FORMAT_LINE}\n`, {
      ifNoneMatch: "*",
    });
    if (put === "precondition") yield* ensureFormat(ctx, false); // another opener made it
  });

/** Opens the S3 store (the client is closed with the scope). */
export const openS3Store = (
  options: S3StoreOptions,
): Effect.Effect<ObjectStoreApi, StoreError, Scope.Scope> =>
  Effect.gen(function* () {
    const prefix = prefixOf(options.prefix);
    const url = `s3://${options.bucket}/${prefix}`.replace(/\/$/, "");
    const endpoint = options.endpoint ?? Deno.env.get("AWS_ENDPOINT_URL_S3") ??
      Deno.env.get("AWS_ENDPOINT_URL");
    const client = yield* Effect.acquireRelease(
      Effect.try({
        try: () =>
          new S3Client({
            region: options.region ?? Deno.env.get("AWS_REGION") ??
              Deno.env.get("AWS_DEFAULT_REGION") ?? "us-east-1",
            ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
            ...(options.credentials ? { credentials: options.credentials } : {}),
            // Every read is verified against its SHA-256 id and every single-part write
            // against the MD5 ETag; the SDK's extra CRC headers are refused by some
            // S3-compatible servers.
            requestChecksumCalculation: "WHEN_REQUIRED",
            responseChecksumValidation: "WHEN_REQUIRED",
          }),
        catch: toStoreError("open", url),
      }),
      (c) => Effect.sync(() => c.destroy()),
    );
    const bucket: Bucket = { client, bucket: options.bucket, url };
    const ctx: S3Context = { bucket, keys: keysOf(prefix), url };
    yield* ensureBucket(bucket, options.create ?? true);
    yield* ensureFormat(ctx, options.create ?? true);
    return makeS3Api(ctx);
  });

// Ids sharing a fan-out directory with at least this many others are answered by
// listing it (one request per 1,000 keys) rather than by a HEAD each.
const LIST_AT = 8;

const missingObjects = (ctx: S3Context, ids: readonly ObjectId[]) =>
  Effect.gen(function* () {
    const groups = new Map<string, ObjectId[]>();
    for (const id of new Set(ids)) {
      const group = groups.get(id.slice(0, 2)) ?? [];
      group.push(id);
      groups.set(id.slice(0, 2), group);
    }
    const present = new Set<ObjectId>();
    const listed = [...groups].filter(([, g]) => g.length >= LIST_AT);
    const single = [...groups].filter(([, g]) => g.length < LIST_AT).flatMap(([, g]) => g);
    yield* Effect.forEach(listed, ([fan]) =>
      listKeys(ctx.bucket, `${ctx.keys.objects}${fan}/`).pipe(
        Effect.map((keys) => {
          for (const k of keys) {
            const id = idOfObjectKey(ctx.keys.objects, k.key);
            if (id) present.add(id);
          }
        }),
      ), { concurrency: 8, discard: true });
    yield* Effect.forEach(single, (id) =>
      headObject(ctx.bucket, ctx.keys.object(id)).pipe(
        Effect.map((h) => {
          if (h !== undefined) present.add(id);
        }),
      ), { concurrency: 16, discard: true });
    return ids.filter((id) => !present.has(id));
  });

const makeS3Api = (ctx: S3Context): ObjectStoreApi => {
  const { url } = ctx;
  const has = (id: ObjectId) =>
    headObject(ctx.bucket, ctx.keys.object(id)).pipe(Effect.map((h) => h !== undefined));
  return {
    root: url,
    put: (kind, payload) => putPayload(ctx, kind, payload),
    putBlob: (bytes) => putPayload(ctx, "blob", bytes),
    putRecord: (record) =>
      Effect.try({ try: () => encodeRecord(record), catch: toStoreError("write record", url) })
        .pipe(Effect.flatMap((bytes) => putPayload(ctx, "record", bytes))),
    putFile: (path, options) => putS3File(ctx, path, options?.move ?? false),
    putDir: (path, options) => putS3Dir(ctx, path, options?.move ?? false),
    has,
    missing: (ids) => missingObjects(ctx, ids),
    listObjects: () =>
      listKeys(ctx.bucket, ctx.keys.objects).pipe(
        Effect.map((keys) => keys.flatMap((k) => idOfObjectKey(ctx.keys.objects, k.key) ?? [])),
      ),
    identify: (id) => identifyObject(ctx, id).pipe(Effect.map((r) => r.kind)),
    verify: (id, kind) => verifyObject(ctx, id, kind),
    removeDamaged: (id) => removeDamagedObject(ctx, id),
    readBlob: (id) => readVerified(ctx, id, "blob"),
    readTree: (id) =>
      readVerified(ctx, id, "tree").pipe(
        Effect.flatMap((bytes) =>
          Effect.try({ try: () => decodeTree(bytes, id), catch: toStoreError("read tree", id) })
        ),
      ),
    readRecord: (id) =>
      readVerified(ctx, id, "record").pipe(
        Effect.flatMap((bytes) =>
          Effect.try({ try: () => decodeRecord(bytes, id), catch: toStoreError("read record", id) })
        ),
      ),
    streamBlob: (id, sink) => streamObject(ctx, id, sink),
    materialize: (id, dest, options) => materializeS3(ctx, id, dest, options),
    resolve: (prefix) =>
      Effect.gen(function* () {
        if (!/^[0-9a-f]{4,64}$/.test(prefix)) {
          return yield* Effect.fail(storeError(
            new InvalidInput({
              what: `id "${prefix}"`,
              detail: "give 4 to 64 lowercase hex characters",
            }),
          ));
        }
        const keyPrefix = `${ctx.keys.objects}${prefix.slice(0, 2)}/${prefix.slice(2)}`;
        const found = yield* listKeys(ctx.bucket, keyPrefix, 2);
        const ids = found.flatMap((k) => idOfObjectKey(ctx.keys.objects, k.key) ?? []);
        if (ids.length !== 1) {
          return yield* Effect.fail(storeError(new AmbiguousId({ prefix, matches: ids.length })));
        }
        return ids[0]!;
      }),
    readRef: (name) => readS3Ref(ctx, name),
    updateRef: (name, id, options) => updateS3Ref(ctx, name, id, options),
    listRefs: (prefix) => listS3Refs(ctx, prefix),
    reflog: (name) => readS3Reflog(ctx, name),
    index: (name) => s3Index(ctx, name),
    appendIfComplete: (entries) =>
      Effect.gen(function* () {
        // No gc lock on a bucket: remote gc's grace period is what keeps a just-checked
        // object from being swept before the entry naming it is written.
        const complete = closureCheck(ctx);
        const incomplete = new Set<ObjectId>();
        const ready: (typeof entries)[number][] = [];
        for (const entry of entries) {
          const oks = yield* Effect.forEach(entry.needs, complete, { concurrency: 8 });
          const missing = entry.needs.filter((_, i) => !oks[i]);
          for (const id of missing) incomplete.add(id);
          if (missing.length === 0) ready.push(entry);
        }
        yield* Effect.forEach(
          ready,
          (e) => s3Index(ctx, e.index).append(e.key, e.value),
          { concurrency: 8, discard: true },
        );
        return { appended: ready.length, incomplete: [...incomplete] };
      }),
    cuts: () => s3Cuts(ctx),
    addCuts: (pairs) => addS3Cuts(ctx, pairs),
    fileId: (path) =>
      Effect.try({
        try: () => {
          const bytes = Deno.readFileSync(path);
          const id = createHash("sha256").update(`blob ${bytes.byteLength}\0`).update(bytes)
            .digest("hex");
          return { id, size: bytes.byteLength, hashed: true };
        },
        catch: toStoreError("hash file", path),
      }),
    protect: (ids) =>
      Effect.forEach(ids, has, { concurrency: 16 }).pipe(Effect.map((all) => all.every(Boolean))),
    gc: (options) =>
      Effect.scoped(Effect.gen(function* () {
        // The lease keeps a second gc off, and its Last-Modified is "now" on the
        // server's clock, which stamped every age gc compares.
        // A gc of this host cut off before it released the lease (the server gone) is
        // known dead by its pid; one of another host only by its lease going stale.
        const held = yield* Effect.acquireRelease(
          tryS3Lease(ctx, "gc").pipe(
            Effect.flatMap((held) => (held ? Effect.succeed(held) : takeS3LeaseOfDead(ctx, "gc"))),
          ),
          (held) => (held ? Effect.ignore(releaseS3Lease(ctx, held)) : Effect.void),
        );
        if (!held) {
          const holder = yield* s3LeaseHolder(ctx, "gc");
          return yield* Effect.fail(storeError(
            new Unsupported({
              op: "collect garbage",
              backend: url,
              detail: `another gc is running on it${
                holder ? ` (process ${holder.pid} on ${holder.host})` : ""
              }; wait for it to finish (a holder on another host that is gone stops holding it ${
                LEASE_STALE_MS / 1000
              } s after its last refresh)`,
            }),
          ));
        }
        yield* Effect.forkScoped(
          Effect.sleep(LEASE_REFRESH_MS).pipe(
            Effect.andThen(refreshS3Lease(ctx, held)),
            Effect.repeat({ while: (ours) => ours }),
            Effect.ignore,
          ),
        );
        // Listed, not HEAD: a listing's Last-Modified has milliseconds, the header seconds.
        const stamp = yield* listKeys(ctx.bucket, ctx.keys.lease("gc"), 1);
        return yield* s3Gc(ctx, options ?? {}, stamp[0]?.lastModifiedMs ?? Date.now());
      })),
    fsck: () =>
      unsupported(
        url,
        "check store",
        "fsck runs on a local store; pull what you need and check it there",
      ),
    repair: () =>
      unsupported(
        url,
        "repair store",
        "repairs run on a local store; reads here set damaged objects aside already",
      ),
    lease: (name) => {
      const problem = leaseNameProblem(name);
      if (problem) {
        return Effect.fail(
          storeError(new InvalidInput({ what: `lease "${name}"`, detail: problem })),
        );
      }
      return Effect.acquireRelease(
        tryS3Lease(ctx, name),
        (held) => (held ? Effect.ignore(releaseS3Lease(ctx, held)) : Effect.void),
      ).pipe(
        Effect.tap((held) =>
          held
            ? Effect.forkScoped(
              Effect.sleep(LEASE_REFRESH_MS).pipe(
                Effect.andThen(refreshS3Lease(ctx, held)),
                Effect.repeat({ while: (ours) => ours }),
                Effect.ignore,
              ),
            )
            : Effect.void
        ),
        Effect.map((held) => (held ? { name, held: s3LeaseIsOurs(ctx, held) } : undefined)),
      );
    },
    leaseHolder: (name) => s3LeaseHolder(ctx, name),
  };
};
