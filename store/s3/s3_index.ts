/**
 * Append-only indexes in an S3 bucket: each entry is an object, created
 * create-only, whose key holds the entry (see `indexEntrySuffix` in `_keys.ts`) — a
 * long value in its body, named by its digest — so a lookup is one listing (and a
 * read per long value) and no entry is ever overwritten. Entries are ordered by
 * the writer's clock (then a per-process counter): across machines "newest" is as
 * good as their clocks agree, which suits the cache index (any entry names a valid
 * run) and no index relies on more.
 *
 * @module
 */
import * as Clock from "effect/Clock";
import * as Effect from "effect/Effect";
import { InvalidInput, type StoreError, storeError } from "../errors.ts";
import type { IndexHandle } from "../object_store.ts";
import { deleteObject, getObject, listKeys, putObject } from "./_bucket.ts";
import { decodeIndexEntry, indexEntrySuffix, valueDigest } from "./_keys.ts";
import type { S3Context } from "./s3_objects.ts";

let counter = 0;

// S3 keys are at most 1,024 bytes.
const MAX_KEY = 1000;

const FORBIDDEN = /[\t\n\r]/;

const entryKey = (ctx: S3Context, name: string, key: string, value: string) =>
  Effect.gen(function* () {
    if (FORBIDDEN.test(key) || FORBIDDEN.test(value) || key.length === 0) {
      return yield* Effect.fail(
        storeError(
          new InvalidInput({
            what: `index entry "${key}"`,
            detail: "keys are non-empty, and neither keys nor values hold tabs or newlines",
          }),
        ),
      );
    }
    const random = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
    const entry = indexEntrySuffix(yield* Clock.currentTimeMillis, counter++, random, value);
    const full = ctx.keys.indexKey(name, key) + entry.suffix;
    if (new TextEncoder().encode(full).length > MAX_KEY) {
      return yield* Effect.fail(
        storeError(
          new InvalidInput({
            what: `index entry "${key}"`,
            detail:
              `its key and value take more than the ${MAX_KEY} bytes an S3 key can hold; keep them short (an id, not a document)`,
          }),
        ),
      );
    }
    return { key: full, body: entry.body ?? new Uint8Array(0) };
  });

/**
 * Every entry of `prefix`'s listing, grouped by key, oldest first, with the S3 keys;
 * a value held in its entry's body is read (in parallel) and checked against the
 * digest its key names — one that does not match, or that is gone, is rejected.
 */
export const scanS3Index = (ctx: S3Context, name: string, listPrefix: string) =>
  Effect.gen(function* () {
    const base = ctx.keys.index(name);
    const listed = yield* listKeys(ctx.bucket, listPrefix);
    const decoded = yield* Effect.forEach(listed, ({ key }) =>
      Effect.gen(function* () {
        const entry = decodeIndexEntry(key.slice(base.length));
        if (!entry || "value" in entry) return entry && { ...entry, s3Key: key };
        const got = yield* getObject(ctx.bucket, key);
        if (!got || valueDigest(got.bytes) !== entry.digest) return undefined;
        const value = new TextDecoder().decode(got.bytes);
        return { key: entry.key, value, s3Key: key };
      }), { concurrency: 16 });
    const groups = new Map<string, { value: string; s3Key: string }[]>();
    let rejected = 0;
    for (const entry of decoded) {
      if (!entry) {
        rejected++;
        continue;
      }
      const list = groups.get(entry.key) ?? [];
      list.push({ value: entry.value, s3Key: entry.s3Key });
      groups.set(entry.key, list);
    }
    return { groups, rejected };
  });

/** Index `name` of the S3 store. */
export const s3Index = (ctx: S3Context, name: string): IndexHandle => {
  const badName = /^[a-z0-9_\-]+$/.test(name) ? undefined : storeError(
    new InvalidInput({ what: `index name "${name}"`, detail: "use a-z 0-9 _ -" }),
  );
  const guard = <A>(e: Effect.Effect<A, StoreError>) => badName ? Effect.fail(badName) : e;
  const values = (key: string) =>
    scanS3Index(ctx, name, ctx.keys.indexKey(name, key)).pipe(
      Effect.map(({ groups }) => (groups.get(key) ?? []).map((e) => e.value)),
    );
  const appendMany = (entries: readonly (readonly [string, string])[]) =>
    Effect.forEach(
      entries,
      ([key, value]) =>
        entryKey(ctx, name, key, value).pipe(
          Effect.flatMap((e) => putObject(ctx.bucket, e.key, e.body, { ifNoneMatch: "*" })),
        ),
      { concurrency: 16, discard: true },
    );
  return {
    get: (key) => guard(values(key).pipe(Effect.map((v) => v.at(-1)))),
    getAll: (key) => guard(values(key)),
    append: (key, value) => guard(appendMany([[key, value]])),
    appendMany: (entries) => guard(appendMany(entries)),
    snapshot: () =>
      guard(
        scanS3Index(ctx, name, ctx.keys.index(name)).pipe(
          Effect.map(({ groups }) =>
            new Map([...groups].map(([k, list]) => [k, list.map((e) => e.value)]))
          ),
        ),
      ),
    // A bucket lists entries by key, not in the order they were appended, so there is
    // no offset to resume from: the tail of an index whose entry count changed is the
    // whole index, under a new "inode" (the count + 1), and a derived copy absorbing it
    // starts again; an unchanged count gives nothing new. (A compaction that removes as
    // many entries as were added meanwhile would go unseen until the copy is rebuilt.)
    tail: (offset) =>
      guard(
        scanS3Index(ctx, name, ctx.keys.index(name)).pipe(
          Effect.map(({ groups }) => {
            const all: (readonly [string, string])[] = [];
            for (const [k, list] of groups) for (const e of list) all.push([k, e.value]);
            return {
              ino: all.length + 1,
              size: all.length,
              end: all.length,
              entries: offset === 0 ? all : [],
            };
          }),
        ),
      ),
    compact: (unique) =>
      guard(Effect.gen(function* () {
        const { groups, rejected } = yield* scanS3Index(ctx, name, ctx.keys.index(name));
        const superseded: string[] = [];
        for (const list of groups.values()) {
          const seen = new Set<string>();
          list.forEach((e, i) => {
            const drop = unique ? i < list.length - 1 : seen.has(e.value);
            seen.add(e.value);
            if (drop) superseded.push(e.s3Key);
          });
        }
        yield* Effect.forEach(superseded, (k) => deleteObject(ctx.bucket, k), {
          concurrency: 16,
          discard: true,
        });
        return { rejected, duplicates: superseded.length };
      })),
  };
};
