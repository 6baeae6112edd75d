/**
 * Leases in an S3 bucket: `leases/<name>` holds `<pid>@<host> <token>\n`, created
 * create-only and refreshed by compare-and-swap on its ETag (each refresh a new
 * token, so a new ETag). A lease not refreshed for `LEASE_STALE_MS` — by the
 * server's Last-Modified against this machine's clock — is broken by a
 * compare-and-swap on the stale version, so of several breakers one wins. A holder
 * on another machine cannot be asked after, so staleness is the only test here.
 *
 * @module
 */
import { hostname } from "node:os";
import * as Clock from "effect/Clock";
import * as Effect from "effect/Effect";
import type { StoreError } from "../errors.ts";
import { processIsAlive } from "../_fs.ts";
import { LEASE_STALE_MS, type LeaseHolder } from "../lease.ts";
import { deleteObject, getObject, headObject, putObject } from "./_bucket.ts";
import type { S3Context } from "./s3_objects.ts";

/** A lease this process holds. */
export interface S3HeldLease {
  readonly name: string;
  readonly owner: string;
  /** The current body (changes at every refresh) and ETag. */
  body: string;
  etag: string;
}

const td = new TextDecoder();
const bodyOf = (owner: string) => `${owner} ${crypto.randomUUID()}\n`;

/** Takes lease `name` if it is free or stale; undefined when a live holder has it. */
export const tryS3Lease = (
  ctx: S3Context,
  name: string,
): Effect.Effect<S3HeldLease | undefined, StoreError> =>
  Effect.gen(function* () {
    const key = ctx.keys.lease(name);
    const owner = `${Deno.pid}@${hostname()}`;
    const body = bodyOf(owner);
    const created = yield* putObject(ctx.bucket, key, body, { ifNoneMatch: "*" });
    if (created !== "precondition") return { name, owner, body, etag: created.etag };
    const present = yield* headObject(ctx.bucket, key);
    if (present === undefined) return yield* tryS3Lease(ctx, name); // released in between
    const now = yield* Clock.currentTimeMillis;
    if (now - present.lastModifiedMs < LEASE_STALE_MS) return undefined;
    const broken = yield* putObject(ctx.bucket, key, body, { ifMatch: present.etag });
    return broken === "precondition" ? undefined : { name, owner, body, etag: broken.etag };
  });

/** Whether `lease` is still ours. */
export const s3LeaseIsOurs = (ctx: S3Context, lease: S3HeldLease) =>
  getObject(ctx.bucket, ctx.keys.lease(lease.name)).pipe(
    Effect.map((got) => got !== undefined && td.decode(got.bytes) === lease.body),
  );

/** Refreshes `lease`; false once it is no longer ours. */
export const refreshS3Lease = (ctx: S3Context, lease: S3HeldLease) =>
  Effect.gen(function* () {
    const body = bodyOf(lease.owner);
    const put = yield* putObject(ctx.bucket, ctx.keys.lease(lease.name), body, {
      ifMatch: lease.etag,
    });
    if (put === "precondition") return false;
    lease.body = body;
    lease.etag = put.etag;
    return true;
  });

/** Releases `lease` if it is still ours. */
export const releaseS3Lease = (ctx: S3Context, lease: S3HeldLease) =>
  Effect.gen(function* () {
    // A DELETE cannot be conditional on radosgw: a breaker that took the lease between
    // this check and the delete loses it, which costs a duplicate computation only.
    if (yield* s3LeaseIsOurs(ctx, lease)) {
      yield* deleteObject(ctx.bucket, ctx.keys.lease(lease.name));
    }
  });

/** The holder of lease `name`, or undefined when it is free. */
export const s3LeaseHolder = (ctx: S3Context, name: string) =>
  getObject(ctx.bucket, ctx.keys.lease(name)).pipe(
    Effect.map((got): LeaseHolder | undefined => {
      const m = got && /^(\d+)@(\S+) /.exec(td.decode(got.bytes));
      return m ? { pid: Number(m[1]), host: m[2]! } : undefined;
    }),
  );

/**
 * Takes lease `name` from a holder on this host whose process is gone (a holder cut
 * off before it could release it), by compare-and-swap on the version read; undefined
 * when the holder lives, is on another host, or another breaker won.
 */
export const takeS3LeaseOfDead = (
  ctx: S3Context,
  name: string,
): Effect.Effect<S3HeldLease | undefined, StoreError> =>
  Effect.gen(function* () {
    const key = ctx.keys.lease(name);
    const got = yield* getObject(ctx.bucket, key);
    if (got === undefined) return yield* tryS3Lease(ctx, name);
    const m = /^(\d+)@(\S+) /.exec(td.decode(got.bytes));
    if (!m || m[2] !== hostname() || processIsAlive(Number(m[1]))) return undefined;
    const owner = `${Deno.pid}@${hostname()}`;
    const body = bodyOf(owner);
    const broken = yield* putObject(ctx.bucket, key, body, { ifMatch: got.etag });
    return broken === "precondition" ? undefined : { name, owner, body, etag: broken.etag };
  });
