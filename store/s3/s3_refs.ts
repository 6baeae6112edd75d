/**
 * Refs in an S3 bucket: `refs/<name>` holds `<id> <seq>\n` (`- <seq>\n` once
 * deleted), updated by compare-and-swap on its ETag (`If-Match`; `If-None-Match: *`
 * for a ref never written). A deletion writes the tombstone body rather than
 * removing the key: radosgw ignores `If-Match` on DELETE, and an unconditional delete
 * could erase another writer's update. The winner of update `seq` then writes its
 * reflog entry, create-only, as its own object `logs/<name>/.<seq>` (the disk
 * store's reflog line); the reflog is those entries in sequence order. An entry is
 * written after the ref it describes, so a writer killed in between leaves the
 * update without its entry — never an entry for an update that did not happen.
 *
 * @module
 */
import * as Clock from "effect/Clock";
import * as Effect from "effect/Effect";
import { InvalidRefName, IoFailure, RefConflict, type StoreError, storeError } from "../errors.ts";
import type { ObjectId } from "../object_id.ts";
import { type ReflogEntry, refNameProblem } from "../refs.ts";
import { getObject, listKeys, putObject } from "./_bucket.ts";
import { decodeRefBody, decodeReflogEntry, encodeRefBody, encodeReflogEntry } from "./_keys.ts";
import type { S3Context } from "./s3_objects.ts";

const td = new TextDecoder();

const checkName = (name: string): Effect.Effect<void, StoreError> => {
  const detail = refNameProblem(name);
  return detail ? Effect.fail(storeError(new InvalidRefName({ name, detail }))) : Effect.void;
};

const current = (ctx: S3Context, name: string) =>
  Effect.gen(function* () {
    const got = yield* getObject(ctx.bucket, ctx.keys.ref(name));
    if (got === undefined) return undefined;
    const body = decodeRefBody(td.decode(got.bytes));
    if (body === undefined) {
      return yield* Effect.fail(
        storeError(
          new IoFailure({
            op: "read ref",
            path: `${ctx.url}/refs/${name}`,
            cause: new Error(
              'its body is not "<id> <seq>"; it was written by something else than cairn: restore it from its reflog (logs/<name>/)',
            ),
          }),
        ),
      );
    }
    return { ...body, etag: got.etag };
  });

/** The object ref `name` names, or null. */
export const readS3Ref = (ctx: S3Context, name: string) =>
  checkName(name).pipe(
    Effect.andThen(current(ctx, name)),
    Effect.map((c) => c?.id ?? null),
  );

// Another writer's update between our read and our write: read again, this often.
const MAX_ATTEMPTS = 100;

/** Sets (or with null deletes) ref `name`; compare-and-swap on `expected` when given. */
export const updateS3Ref = (
  ctx: S3Context,
  name: string,
  id: ObjectId | null,
  options: { readonly expected?: ObjectId | null; readonly message: string },
): Effect.Effect<void, StoreError> =>
  Effect.gen(function* () {
    yield* checkName(name);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const now = yield* current(ctx, name);
      const value = now?.id ?? null;
      if (options.expected !== undefined && options.expected !== value) {
        return yield* Effect.fail(
          storeError(new RefConflict({ name, expected: options.expected, actual: value })),
        );
      }
      if (id === null && value === null) return; // nothing to delete
      const seq = (now?.seq ?? 0) + 1;
      const put = yield* putObject(
        ctx.bucket,
        ctx.keys.ref(name),
        encodeRefBody({ id, seq }),
        now ? { ifMatch: now.etag } : { ifNoneMatch: "*" },
      );
      if (put === "precondition") {
        yield* Effect.sleep(Math.min(2 ** attempt, 50) + Math.random() * 5);
        continue; // another writer won this round: compare again with what it wrote
      }
      const timeMs = yield* Clock.currentTimeMillis;
      const entry = encodeReflogEntry(value, id, timeMs, options.message);
      // Update seq is ours alone (we won its CAS), so the create-only write cannot lose
      // to another writer; a leftover entry of a killed writer's lost round cannot exist.
      yield* putObject(ctx.bucket, ctx.keys.reflogEntry(name, seq), entry, { ifNoneMatch: "*" });
      return;
    }
    return yield* Effect.fail(
      storeError(
        new IoFailure({
          op: "update ref",
          path: `${ctx.url}/refs/${name}`,
          cause: new Error(
            `${MAX_ATTEMPTS} compare-and-swap attempts in a row lost to other writers; try again`,
          ),
        }),
      ),
    );
  });

/** Every ref under `prefix` and the object it names, sorted by name. */
export const listS3Refs = (ctx: S3Context, prefix = "") =>
  Effect.gen(function* () {
    const listed = yield* listKeys(ctx.bucket, ctx.keys.refs + prefix);
    const names = listed.map((l) => l.key.slice(ctx.keys.refs.length))
      .filter((n) => refNameProblem(n) === undefined);
    const refs = yield* Effect.forEach(
      names,
      (name) => current(ctx, name).pipe(Effect.map((c) => ({ name, id: c?.id ?? null }))),
      { concurrency: 16 },
    );
    return refs.filter((r): r is { name: string; id: ObjectId } => r.id !== null)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  });

/** The reflog of `name`, oldest first (damaged entries skipped). */
export const readS3Reflog = (ctx: S3Context, name: string) =>
  Effect.gen(function* () {
    yield* checkName(name);
    const dir = ctx.keys.reflog(name);
    const keys = (yield* listKeys(ctx.bucket, dir)).map((l) => l.key)
      .filter((k) => /^\.\d{12}$/.test(k.slice(dir.length)));
    const bodies = yield* Effect.forEach(
      keys.sort(),
      (key) => getObject(ctx.bucket, key),
      { concurrency: 16 },
    );
    const entries: ReflogEntry[] = [];
    for (const body of bodies) {
      const entry = body && decodeReflogEntry(td.decode(body.bytes));
      if (entry) entries.push(entry);
    }
    return entries;
  });
