/**
 * Local files and directories to and from an S3 store: `putFile` and `putDir`
 * upload (a large file by multipart upload, hashed twice: once for its id, once as
 * its parts go, and completed only when both agree), `materialize` downloads,
 * verified, into a staging name beside the destination and renames it into place.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { dirname } from "node:path";
import {
  DestinationExists,
  IoFailure,
  type StoreError,
  storeError,
  toStoreError,
  UnsafePath,
} from "../errors.ts";
import type { DirPutResult } from "../ingest_dir.ts";
import type { MaterializeOptions, MaterializeResult } from "../materialize.ts";
import { createObjectHasher, type ObjectId } from "../object_id.ts";
import { CHUNK, type FilePutResult } from "../objects.ts";
import { encodeTree, type TreeEntry, unsafeNameReason } from "../tree.ts";
import { decodeTree } from "../tree_decoder.ts";
import { headObject, putMultipart } from "./_bucket.ts";
import {
  identifyObject,
  MULTIPART_THRESHOLD,
  PART_SIZE,
  putPayload,
  readVerified,
  type S3Context,
} from "./s3_objects.ts";

const fs = <A>(op: string, path: string, f: () => A) =>
  Effect.try({ try: f, catch: toStoreError(op, path) });

async function* fileParts(path: string, onChunk: (b: Uint8Array) => void) {
  using file = await Deno.open(path);
  for (;;) {
    const part = new Uint8Array(PART_SIZE);
    let n = 0;
    while (n < PART_SIZE) {
      const got = await file.read(part.subarray(n));
      if (got === null) break;
      n += got;
    }
    if (n === 0) return;
    onChunk(part.subarray(0, n));
    yield part.subarray(0, n);
    if (n < PART_SIZE) return;
  }
}

const hashFile = (path: string, size: number) =>
  fs("hash file", path, () => {
    const hasher = createObjectHasher("blob", size);
    using file = Deno.openSync(path);
    const buf = new Uint8Array(CHUNK);
    for (let got = file.readSync(buf); got !== null; got = file.readSync(buf)) {
      hasher.update(buf.subarray(0, got));
    }
    return hasher.digest("hex");
  });

/** Uploads file `path` as a blob; with `move`, removes it once stored. */
export const putS3File = (ctx: S3Context, path: string, move: boolean) =>
  Effect.gen(function* () {
    const info = yield* fs("store file", path, () => Deno.statSync(path));
    const executable = ((info.mode ?? 0) & 0o111) !== 0;
    let result: FilePutResult;
    if (info.size <= MULTIPART_THRESHOLD) {
      const bytes = yield* fs("store file", path, () => Deno.readFileSync(path));
      result = { ...(yield* putPayload(ctx, "blob", bytes)), executable };
    } else {
      const id = yield* hashFile(path, info.size);
      const present = yield* headObject(ctx.bucket, ctx.keys.object(id));
      if (present?.size === info.size) result = { id, size: info.size, written: false, executable };
      else {
        const again = createObjectHasher("blob", info.size);
        let sent = 0;
        yield* putMultipart(
          ctx.bucket,
          ctx.keys.object(id),
          fileParts(path, (chunk) => {
            again.update(chunk);
            sent += chunk.byteLength;
          }),
          Effect.suspend(() =>
            sent === info.size && again.digest("hex") === id ? Effect.void : Effect.fail(
              storeError(
                new IoFailure({
                  op: "store file",
                  path,
                  cause: new Error(
                    "it changed while it was read; store it again once it is written",
                  ),
                }),
              ),
            )
          ),
        );
        result = { id, size: info.size, written: true, executable };
      }
    }
    if (move) yield* fs("remove stored file", path, () => Deno.removeSync(path));
    return result;
  });

/** Uploads directory `path` as a tree, recursively (links and devices refused). */
export const putS3Dir = (
  ctx: S3Context,
  path: string,
  move: boolean,
): Effect.Effect<DirPutResult, StoreError> =>
  Effect.gen(function* () {
    const listing = yield* fs("store directory", path, () => [...Deno.readDirSync(path)]);
    const entries: TreeEntry[] = [];
    let size = 0;
    let files = 0;
    for (const entry of listing) {
      const child = `${path}/${entry.name}`;
      const reason = unsafeNameReason(entry.name) ??
        (entry.isSymlink
          ? "symbolic links are not stored; copy the file it points to instead"
          : undefined) ??
        (!entry.isFile && !entry.isDirectory ? "it is not a regular file or directory" : undefined);
      if (reason) {
        return yield* Effect.fail(storeError(new UnsafePath({ path: child, detail: reason })));
      }
      if (entry.isDirectory) {
        const sub = yield* putS3Dir(ctx, child, move);
        entries.push({ name: entry.name, mode: "directory", id: sub.id });
        size += sub.size;
        files += sub.files;
      } else {
        const put = yield* putS3File(ctx, child, move);
        entries.push({
          name: entry.name,
          mode: put.executable ? "executable" : "file",
          id: put.id,
        });
        size += put.size;
        files++;
      }
    }
    const { id } = yield* putPayload(ctx, "tree", encodeTree(entries));
    if (move) {
      yield* fs("remove stored directory", path, () => Deno.removeSync(path, { recursive: true }));
    }
    return { id, size, files };
  });

/** Downloads object `id` to `dest`, verified (a tree as a directory). */
export const materializeS3 = (
  ctx: S3Context,
  id: ObjectId,
  dest: string,
  options: MaterializeOptions = {},
): Effect.Effect<MaterializeResult, StoreError> =>
  Effect.gen(function* () {
    const exists = yield* fs("materialize", dest, () => {
      try {
        Deno.lstatSync(dest);
        return true;
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return false;
        throw e;
      }
    });
    if (exists && !options.overwrite) {
      return yield* Effect.fail(storeError(new DestinationExists({ path: dest })));
    }
    const staging = `${dirname(dest)}/.cairn-materialize-${crypto.randomUUID().slice(0, 8)}`;
    const counts = { files: 0, bytes: 0 };
    const write = (
      oid: ObjectId,
      at: string,
      mode: TreeEntry["mode"],
    ): Effect.Effect<void, StoreError> =>
      mode === "directory"
        ? readVerified(ctx, oid, "tree").pipe(
          Effect.tap(() => fs("materialize", at, () => Deno.mkdirSync(at))),
          Effect.flatMap((bytes) =>
            Effect.forEach(
              decodeTree(bytes, oid),
              (e) => write(e.id, `${at}/${e.name}`, e.mode),
              { concurrency: 8, discard: true },
            )
          ),
        )
        : readVerified(ctx, oid, "blob").pipe(
          Effect.flatMap((bytes) =>
            fs("materialize", at, () => {
              Deno.writeFileSync(at, bytes, { mode: mode === "executable" ? 0o755 : 0o644 });
              counts.files++;
              counts.bytes += bytes.byteLength;
            })
          ),
        );
    const known = options.kind ?? (yield* identifyObject(ctx, id)).kind;
    const body = known === "record"
      ? readVerified(ctx, id, "record").pipe(
        Effect.flatMap((bytes) =>
          fs("materialize", staging, () => Deno.writeFileSync(staging, bytes))
        ),
        Effect.tap(() => Effect.sync(() => counts.files++)),
      )
      : write(id, staging, known === "tree" ? "directory" : "file");
    yield* body.pipe(
      Effect.andThen(fs("materialize", dest, () => {
        if (exists) Deno.removeSync(dest, { recursive: true });
        Deno.renameSync(staging, dest);
      })),
      Effect.onError(() =>
        Effect.sync(() => {
          try {
            Deno.removeSync(staging, { recursive: true });
          } catch {
            // never created, or already gone
          }
        })
      ),
    );
    return { kind: known, files: counts.files, linked: 0, bytes: counts.bytes };
  });
