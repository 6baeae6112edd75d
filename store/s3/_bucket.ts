// The S3 calls the store makes, as Effects that fail only with StoreError: the
// statuses a caller expects (404 absent, 412 precondition failed) come back as values,
// everything else as an IoFailure naming the call, the key and what the server said.
// Every call is interruptible: the fiber's abort signal goes to the SDK.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import * as Effect from "effect/Effect";
import { IoFailure, type StoreError, storeError } from "../errors.ts";

/** One bucket, as the store sees it. */
export interface Bucket {
  readonly client: S3Client;
  readonly bucket: string;
  /** `s3://bucket/prefix`, for messages. */
  readonly url: string;
}

/** A conditional write: create only, or replace only the version with this ETag. */
export type Condition = { readonly ifNoneMatch: "*" } | { readonly ifMatch: string };

const statusOf = (e: unknown): number | undefined =>
  (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;

/** An SDK error as an Error whose message says the status and, where it can, what to check. */
export const describe = (e: unknown): Error => {
  if (!(e instanceof Error)) return new Error(String(e));
  const status = statusOf(e);
  const hint = /ECONNREFUSED|ConnectionRefused|connect/i.test(`${e.name} ${e.message}`)
    ? " (is the S3 server running, and is the endpoint right?)"
    : /InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied|Credentials/i.test(e.name + e.message)
    ? " (check the credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the AWS config files)"
    : "";
  return new Error(`${e.name}${status ? ` (HTTP ${status})` : ""}: ${e.message}${hint}`, {
    cause: e,
  });
};

const call = <A>(
  b: Bucket,
  op: string,
  key: string,
  f: (signal: AbortSignal) => Promise<A>,
): Effect.Effect<A | { readonly status: number }, StoreError> =>
  Effect.tryPromise({ try: (signal) => f(signal), catch: (e) => e }).pipe(
    Effect.catch((e) => {
      const status = statusOf(e);
      return status === 404 || status === 412 || status === 409
        ? Effect.succeed({ status })
        : Effect.fail(
          storeError(new IoFailure({ op, path: `s3://${b.bucket}/${key}`, cause: describe(e) })),
        );
    }),
  );

const failed = (x: unknown): x is { readonly status: number } =>
  typeof x === "object" && x !== null && "status" in x;

// radosgw compares If-Match with the ETag without its quotes (measured: the quoted
// form HeadObject returns always fails with 412); AWS accepts both.
const unquote = (etag: string | undefined): string => (etag ?? "").replaceAll('"', "");

/** An object's bytes and ETag, or undefined when absent. `range` reads a prefix only. */
export const getObject = (b: Bucket, key: string, range?: number) =>
  call(b, "read", key, async (abortSignal) => {
    const out = await b.client.send(
      new GetObjectCommand({
        Bucket: b.bucket,
        Key: key,
        ...(range !== undefined ? { Range: `bytes=0-${range - 1}` } : {}),
      }),
      { abortSignal },
    );
    return { bytes: await out.Body!.transformToByteArray(), etag: unquote(out.ETag) };
  }).pipe(Effect.map((r) => (failed(r) ? undefined : r)));

/** An object's body as a stream, or undefined when absent. */
export const getStream = (b: Bucket, key: string) =>
  call(b, "read", key, async (abortSignal) => {
    const out = await b.client.send(new GetObjectCommand({ Bucket: b.bucket, Key: key }), {
      abortSignal,
    });
    return {
      body: out.Body!.transformToWebStream(),
      etag: unquote(out.ETag),
      size: out.ContentLength ?? 0,
    };
  }).pipe(Effect.map((r) => (failed(r) ? undefined : r)));

/** An object's size and ETag, or undefined when absent. */
export const headObject = (b: Bucket, key: string) =>
  call(b, "look up", key, async (abortSignal) => {
    const out = await b.client.send(new HeadObjectCommand({ Bucket: b.bucket, Key: key }), {
      abortSignal,
    });
    return {
      size: out.ContentLength ?? 0,
      etag: unquote(out.ETag),
      lastModifiedMs: out.LastModified?.getTime() ?? 0,
    };
  }).pipe(Effect.map((r) => (failed(r) ? undefined : r)));

/** Writes an object; "precondition" when the condition did not hold. Returns its ETag. */
export const putObject = (
  b: Bucket,
  key: string,
  body: Uint8Array | string,
  condition?: Condition,
): Effect.Effect<{ readonly etag: string } | "precondition", StoreError> =>
  call(b, "write", key, async (abortSignal) => {
    const out = await b.client.send(
      new PutObjectCommand({
        Bucket: b.bucket,
        Key: key,
        Body: body,
        ...(condition && "ifNoneMatch" in condition ? { IfNoneMatch: "*" } : {}),
        ...(condition && "ifMatch" in condition ? { IfMatch: condition.ifMatch } : {}),
      }),
      { abortSignal },
    );
    return { etag: unquote(out.ETag) };
  }).pipe(Effect.map((r) => (failed(r) ? "precondition" as const : r)));

/** Removes an object (absent is fine). Unconditional: radosgw ignores If-Match on DELETE. */
export const deleteObject = (b: Bucket, key: string): Effect.Effect<void, StoreError> =>
  call(
    b,
    "delete",
    key,
    (abortSignal) =>
      b.client.send(new DeleteObjectCommand({ Bucket: b.bucket, Key: key }), { abortSignal }),
  )
    .pipe(Effect.asVoid);

/** Copies `from` to `to` if `from` still has ETag `etag`; false when it has not. */
export const copyIfMatch = (b: Bucket, from: string, to: string, etag: string) =>
  call(b, "copy", from, (abortSignal) =>
    b.client.send(
      new CopyObjectCommand({
        Bucket: b.bucket,
        Key: to,
        CopySource: `${b.bucket}/${encodeURIComponent(from).replaceAll("%2F", "/")}`,
        CopySourceIfMatch: etag,
      }),
      { abortSignal },
    )).pipe(Effect.map((r) => !failed(r)));

/** One listed key. */
export interface Listed {
  readonly key: string;
  readonly size: number;
  /** The server's Last-Modified, in ms since the epoch (on the server's clock). */
  readonly lastModifiedMs: number;
}

/** Every key under `prefix`, sorted, page by page (1,000 a page); `max` stops early. */
export const listKeys = (
  b: Bucket,
  prefix: string,
  max = Infinity,
): Effect.Effect<Listed[], StoreError> =>
  Effect.gen(function* () {
    const keys: Listed[] = [];
    let token: string | undefined;
    do {
      const page = yield* call(b, "list", prefix, (abortSignal) =>
        b.client.send(
          new ListObjectsV2Command({
            Bucket: b.bucket,
            Prefix: prefix,
            ...(token ? { ContinuationToken: token } : {}),
            ...(max < 1000 ? { MaxKeys: max } : {}),
          }),
          { abortSignal },
        ));
      if (failed(page)) return keys; // no such bucket: nothing under it
      for (const o of page.Contents ?? []) {
        keys.push({
          key: o.Key!,
          size: o.Size ?? 0,
          lastModifiedMs: o.LastModified?.getTime() ?? 0,
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token && keys.length < max);
    return keys;
  });

/**
 * Uploads `parts` (each but the last at least 5 MiB) as one object by multipart
 * upload; `check` runs after the last part, before the upload completes, and a
 * failure there (or anywhere) aborts it, so a partial object never becomes visible.
 */
export const putMultipart = (
  b: Bucket,
  key: string,
  parts: AsyncIterable<Uint8Array>,
  check: Effect.Effect<void, StoreError>,
): Effect.Effect<void, StoreError> =>
  Effect.gen(function* () {
    const started = yield* call(b, "start upload of", key, (abortSignal) =>
      b.client.send(new CreateMultipartUploadCommand({ Bucket: b.bucket, Key: key }), {
        abortSignal,
      }));
    if (failed(started)) {
      return yield* Effect.fail(
        storeError(
          new IoFailure({
            op: "start upload of",
            path: `s3://${b.bucket}/${key}`,
            cause: new Error(`HTTP ${started.status}`),
          }),
        ),
      );
    }
    const uploadId = started.UploadId!;
    const upload = Effect.gen(function* () {
      const done: { PartNumber: number; ETag: string }[] = [];
      const iterator = parts[Symbol.asyncIterator]();
      for (let n = 1;; n++) {
        const next = yield* Effect.tryPromise({
          try: () =>
            iterator.next(),
          catch: (cause) =>
            storeError(new IoFailure({ op: "read part of", path: key, cause: describe(cause) })),
        });
        if (next.done) {
          break;
        }
        const part = yield* call(b, "upload part of", key, (abortSignal) =>
          b.client.send(
            new UploadPartCommand({
              Bucket: b.bucket,
              Key: key,
              UploadId: uploadId,
              PartNumber: n,
              Body: next.value,
            }),
            { abortSignal },
          ));
        if (failed(part)) {
          return yield* Effect.fail(
            storeError(
              new IoFailure({
                op: "upload part of",
                path: `s3://${b.bucket}/${key}`,
                cause: new Error(`HTTP ${part.status}`),
              }),
            ),
          );
        }
        done.push({ PartNumber: n, ETag: part.ETag! });
      }
      yield* check;
      yield* call(b, "complete upload of", key, (abortSignal) =>
        b.client.send(
          new CompleteMultipartUploadCommand({
            Bucket: b.bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: done },
          }),
          { abortSignal },
        ));
    });
    yield* upload.pipe(
      Effect.onError(() =>
        call(b, "abort upload of", key, () =>
          b.client.send(
            new AbortMultipartUploadCommand({ Bucket: b.bucket, Key: key, UploadId: uploadId }),
          )).pipe(Effect.ignore)
      ),
    );
  });
