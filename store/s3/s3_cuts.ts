/**
 * Links cut on purpose, in a bucket (see `ObjectStoreApi.cuts`): the index `cuts`,
 * an entry per link keyed by the object the link names, its value the record that
 * names it — a value that starts with the record's id, so remote gc drops the entry
 * with the record (and keeps it while the record is there).
 *
 * @module
 */
import * as Effect from "effect/Effect";
import type { StoreError } from "../errors.ts";
import type { ObjectId } from "../object_id.ts";
import type { S3Context } from "./s3_objects.ts";
import { s3Index } from "./s3_index.ts";

/** The index the cuts live in. */
export const CUTS_INDEX = "cuts";

/** Every cut link in the bucket: record → the links of it that were cut. */
export const s3Cuts = (
  ctx: S3Context,
): Effect.Effect<Map<ObjectId, Set<ObjectId>>, StoreError> =>
  s3Index(ctx, CUTS_INDEX).snapshot().pipe(
    Effect.map((snapshot) => {
      const cuts = new Map<ObjectId, Set<ObjectId>>();
      for (const [to, froms] of snapshot) {
        for (const from of froms) cuts.set(from, (cuts.get(from) ?? new Set()).add(to));
      }
      return cuts;
    }),
  );

/** Records the pairs the bucket does not hold yet (one listing, then a write per pair). */
export const addS3Cuts = (
  ctx: S3Context,
  pairs: readonly (readonly [from: ObjectId, to: ObjectId])[],
): Effect.Effect<void, StoreError> =>
  Effect.gen(function* () {
    if (pairs.length === 0) return;
    const known = yield* s3Cuts(ctx);
    const fresh = new Map<string, readonly [string, string]>();
    for (const [from, to] of pairs) {
      if (!known.get(from)?.has(to)) fresh.set(`${from} ${to}`, [to, from]);
    }
    yield* s3Index(ctx, CUTS_INDEX).appendMany([...fresh.values()]);
  });
