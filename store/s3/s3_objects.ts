/**
 * Objects in an S3 bucket: `objects/<2>/<62>`, payload only, as on disk.
 *
 * A put is create-only (`If-None-Match: *`): an id once written is never replaced
 * by a writer that lost a race, and identical ids mean identical bytes anyway. The
 * server's ETag of a single-part upload is the MD5 of what it stored, so a put
 * compares it with the MD5 of what it sent (the upload is verified) and a put that
 * finds the object present compares its ETag with the payload's MD5 (a damaged copy
 * is set aside and written again, as the disk store does). Payloads over
 * {@linkcode MULTIPART_THRESHOLD} go by multipart upload. Every read hashes the bytes
 * against the id before it returns them; a damaged object is copied to
 * `quarantine/<id>-<unique>` and removed, so the next put of the right bytes
 * writes it afresh.
 *
 * @module
 */
import { createHash } from "node:crypto";
import * as Effect from "effect/Effect";
import {
  IntegrityMismatch,
  InvalidObject,
  IoFailure,
  ObjectNotFound,
  type StoreError,
  storeError,
} from "../errors.ts";
import {
  createObjectHasher,
  hashObject,
  OBJECT_KINDS,
  type ObjectId,
  type ObjectKind,
} from "../object_id.ts";
import { candidateKinds, type PutResult } from "../objects.ts";
import { decodeRecord } from "../record.ts";
import { decodeTree } from "../tree_decoder.ts";
import {
  type Bucket,
  copyIfMatch,
  deleteObject,
  getObject,
  getStream,
  headObject,
  putMultipart,
  putObject,
} from "./_bucket.ts";
import type { keysOf } from "./_keys.ts";

/** Payloads larger than this go by multipart upload. */
export const MULTIPART_THRESHOLD = 16 * 1024 * 1024;

/** The size of each part of a multipart upload (S3 wants at least 5 MiB). */
export const PART_SIZE = 8 * 1024 * 1024;

/** What the S3 store's parts share. */
export interface S3Context {
  readonly bucket: Bucket;
  readonly keys: ReturnType<typeof keysOf>;
  /** `s3://bucket/prefix`. */
  readonly url: string;
}

const md5 = (bytes: Uint8Array): string => createHash("md5").update(bytes).digest("hex");

const unique = (): string => crypto.randomUUID().slice(0, 13);

const ioFailure = (op: string, path: string, detail: string): StoreError =>
  storeError(new IoFailure({ op, path, cause: new Error(detail) }));

/** Copies object `id` (still with ETag `etag`) to quarantine and removes it; the quarantine key. */
export const setAside = (ctx: S3Context, id: ObjectId, etag: string) =>
  Effect.gen(function* () {
    const to = ctx.keys.quarantine(id, unique());
    // Only the damaged version: if the object changed since it was read (repaired by
    // another writer), it is left alone.
    if (!(yield* copyIfMatch(ctx.bucket, ctx.keys.object(id), to, etag))) return undefined;
    yield* deleteObject(ctx.bucket, ctx.keys.object(id));
    return `${ctx.url}/${to.slice(ctx.keys.objects.length - "objects/".length)}`;
  });

/** Stores `payload` as an object of `kind`. */
export const putPayload = (
  ctx: S3Context,
  kind: ObjectKind,
  payload: Uint8Array,
): Effect.Effect<PutResult, StoreError> =>
  Effect.gen(function* () {
    const id = hashObject(kind, payload);
    const key = ctx.keys.object(id);
    const size = payload.byteLength;
    if (size > MULTIPART_THRESHOLD) {
      // radosgw ignores If-None-Match on CompleteMultipartUpload (measured): look first.
      // Two writers racing past the look both upload the same verified bytes.
      const present = yield* headObject(ctx.bucket, key);
      if (present?.size === size) return { id, size, written: false };
      yield* putMultipart(ctx.bucket, key, slices(payload), Effect.void);
      return { id, size, written: true };
    }
    const sum = md5(payload);
    for (let attempt = 0;; attempt++) {
      const put = yield* putObject(ctx.bucket, key, payload, { ifNoneMatch: "*" });
      if (put !== "precondition") {
        if (put.etag !== sum) {
          return yield* Effect.fail(ioFailure(
            "write object",
            `${ctx.url}/${id}`,
            `the server stored bytes with MD5 ${put.etag}, not the ${sum} sent; write it again`,
          ));
        }
        return { id, size, written: true };
      }
      const present = yield* headObject(ctx.bucket, key);
      if (present === undefined) continue; // removed in between: create it
      if (present.etag === sum || (present.etag.includes("-") && present.size === size)) {
        return { id, size, written: false };
      }
      if (attempt > 2) {
        return yield* Effect.fail(ioFailure(
          "write object",
          `${ctx.url}/${id}`,
          "a damaged copy is there and could not be replaced; run the put again",
        ));
      }
      yield* setAside(ctx, id, present.etag);
    }
  });

async function* slices(payload: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < payload.byteLength; at += PART_SIZE) {
    yield payload.subarray(at, at + PART_SIZE);
  }
}

/** The kind whose framing hashes `bytes` to `id`, if any. */
const kindOf = (id: ObjectId, bytes: Uint8Array): ObjectKind | undefined =>
  OBJECT_KINDS.find((kind) => hashObject(kind, bytes) === id);

/**
 * Object `id`'s payload if it hashes to `id` as `kind`; fails otherwise (see module
 * doc). `aside: false` leaves a damaged object where it is (a dry run changes nothing).
 */
export const readVerified = (ctx: S3Context, id: ObjectId, kind: ObjectKind, aside = true) =>
  Effect.gen(function* () {
    const got = yield* getObject(ctx.bucket, ctx.keys.object(id));
    if (got === undefined) return yield* Effect.fail(storeError(new ObjectNotFound({ id })));
    if (hashObject(kind, got.bytes) === id) return got.bytes;
    const actual = kindOf(id, got.bytes);
    if (actual !== undefined) {
      return yield* Effect.fail(
        storeError(new InvalidObject({ id, detail: `it is a ${actual}, not a ${kind}` })),
      );
    }
    return yield* damaged(ctx, id, got.etag, hashObject("blob", got.bytes), aside);
  });

const damaged = (ctx: S3Context, id: ObjectId, etag: string, actual: string, aside = true) =>
  Effect.gen(function* () {
    const where = aside ? yield* setAside(ctx, id, etag) : undefined;
    return yield* Effect.fail(
      storeError(
        new IntegrityMismatch({
          id,
          actual,
          path: `${ctx.url}/objects/${id.slice(0, 2)}/${id.slice(2)}`,
          ...(where ? { setAside: where } : {}),
        }),
      ),
    );
  });

/** The kind of object `id`, proven by hashing (`aside` as for {@linkcode readVerified}). */
export const identifyObject = (ctx: S3Context, id: ObjectId, aside = true) =>
  Effect.gen(function* () {
    const got = yield* getObject(ctx.bucket, ctx.keys.object(id));
    if (got === undefined) return yield* Effect.fail(storeError(new ObjectNotFound({ id })));
    const kind = kindOf(id, got.bytes);
    if (kind !== undefined) return { kind, bytes: got.bytes };
    return yield* damaged(ctx, id, got.etag, hashObject("blob", got.bytes), aside);
  });

/** Streams blob `id` to `sink`, hashing as it goes; fails at the end if damaged. */
export const streamObject = (
  ctx: S3Context,
  id: ObjectId,
  sink: (chunk: Uint8Array) => void,
) =>
  Effect.gen(function* () {
    const got = yield* getStream(ctx.bucket, ctx.keys.object(id));
    if (got === undefined) return yield* Effect.fail(storeError(new ObjectNotFound({ id })));
    const hasher = createObjectHasher("blob", got.size);
    const reader = got.body.getReader();
    let size = 0;
    for (;;) {
      const next = yield* Effect.tryPromise({
        try: () => reader.read(),
        catch: (cause) => storeError(new IoFailure({ op: "read blob", path: id, cause })),
      });
      if (next.done) break;
      hasher.update(next.value);
      size += next.value.byteLength;
      sink(next.value);
    }
    const actual = hasher.digest("hex");
    if (actual !== id || size !== got.size) return yield* damaged(ctx, id, got.etag, actual);
    return size;
  });

/** Whether object `id` (and, for a tree, every member) is present and intact. */
export const verifyObject = (
  ctx: S3Context,
  id: ObjectId,
  kind: ObjectKind,
): Effect.Effect<boolean, StoreError> =>
  readVerified(ctx, id, kind).pipe(
    Effect.flatMap((bytes) =>
      kind !== "tree" ? Effect.succeed(true) : Effect.forEach(
        decodeTree(bytes, id),
        (e) => verifyObject(ctx, e.id, e.mode === "directory" ? "tree" : "blob"),
        { concurrency: 8 },
      ).pipe(Effect.map((all) => all.every(Boolean)))
    ),
    Effect.catchReasons("StoreError", {
      ObjectNotFound: () => Effect.succeed(false),
      IntegrityMismatch: () => Effect.succeed(false),
      InvalidObject: () => Effect.succeed(false),
    }),
  );

/** Sets object `id` aside if it is damaged; true if so. */
export const removeDamagedObject = (ctx: S3Context, id: ObjectId) =>
  Effect.gen(function* () {
    const got = yield* getObject(ctx.bucket, ctx.keys.object(id));
    if (got === undefined || kindOf(id, got.bytes) !== undefined) return false;
    return (yield* setAside(ctx, id, got.etag)) !== undefined;
  });

/**
 * A memoised check that an object and everything it links to are present and
 * readable, as the disk store's closure check: blobs are looked at, not downloaded
 * (their first bytes tell whether they can be anything but a blob).
 */
export const closureCheck = (ctx: S3Context) => {
  const known = new Map<ObjectId, boolean>();
  const complete = (id: ObjectId): Effect.Effect<boolean, StoreError> =>
    Effect.suspend(() => {
      const seen = known.get(id);
      if (seen !== undefined) return Effect.succeed(seen);
      return Effect.gen(function* () {
        const head = yield* getObject(ctx.bucket, ctx.keys.object(id), 64);
        let links: readonly ObjectId[] = [];
        if (head === undefined) links = [id]; // absent: marked below
        else if (candidateKinds(head.bytes).length > 1) {
          const whole = yield* getObject(ctx.bucket, ctx.keys.object(id));
          const kind = whole && kindOf(id, whole.bytes);
          if (!whole || kind === undefined) links = [id];
          else if (kind === "tree") links = decodeTree(whole.bytes, id).map((e) => e.id);
          else if (kind === "record") links = decodeRecord(whole.bytes, id).links ?? [];
        }
        if (links.includes(id)) {
          known.set(id, false);
          return false;
        }
        known.set(id, true); // provisionally: a cycle cannot occur between content ids
        const all = yield* Effect.forEach(links, complete, { concurrency: 8 });
        const ok = all.every(Boolean);
        known.set(id, ok);
        return ok;
      });
    });
  return complete;
};
