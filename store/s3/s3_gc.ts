/**
 * gc of a store in an S3 bucket: the disk store's gc (`../gc.ts`) with the same
 * roots — every ref, every reflog entry younger than `reflogExpiryMs`, the policy's
 * `extraRoots`, `handledRefs` and `cutLinks` — applied to the bucket, and with what a
 * bucket cannot give made up for:
 *
 * - **No lock**: other machines write while gc runs, children first and refs last.
 *   An unreachable object whose Last-Modified is within the grace period is kept with
 *   everything it links to (it may be part of an upload not yet named). Before
 *   anything is removed, the refs and the objects are listed again: a ref that moved
 *   is a root, and an object that appeared is young, so an upload that finished
 *   while gc marked is kept.
 * - **Ages on the server's clock**: "now" is the Last-Modified of the lease gc has
 *   just written (`leases/gc`, which also keeps a second gc from running at once).
 * - **Reads cost requests**: marking follows records and trees only, a record's
 *   links typed by `linkKinds` where its format says them; a link of unknown kind is
 *   probed by its first bytes, so a blob is never downloaded to be marked.
 * - **Order**: index entries whose value starts with an object about to go (or
 *   already gone) are deleted first, then the objects, parents before children (a
 *   record before what it links, a tree before its entries), so a gc stopped
 *   anywhere leaves no object naming one the bucket lacks: the next push, which
 *   trusts a present object to come with its closure, cannot be misled.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { type StoreError, storeError, UnreadableRoot } from "../errors.ts";
import type { GcOptions, GcReport } from "../gc.ts";
import { isObjectId, type ObjectId, type ObjectKind } from "../object_id.ts";
import { candidateKinds } from "../objects.ts";
import { decodeRecord } from "../record.ts";
import { decodeTree } from "../tree_decoder.ts";
import { deleteObject, getObject, listKeys } from "./_bucket.ts";
import { decodeReflogEntry, idOfObjectKey } from "./_keys.ts";
import { CUTS_INDEX, s3Cuts } from "./s3_cuts.ts";
import { scanS3Index } from "./s3_index.ts";
import { identifyObject, readVerified, type S3Context } from "./s3_objects.ts";
import { listS3Refs } from "./s3_refs.ts";
import { gcRoots } from "../_gc_roots.ts";

const CONCURRENCY = 16;

interface Listed {
  readonly size: number;
  readonly lastModifiedMs: number;
}

type Seen =
  | { readonly status: "ok"; readonly links: readonly Link[] }
  | { readonly status: "missing" }
  | { readonly status: "corrupt"; readonly detail: string };

interface Link {
  readonly id: ObjectId;
  readonly kind?: ObjectKind;
}

const listObjects = (ctx: S3Context) =>
  listKeys(ctx.bucket, ctx.keys.objects).pipe(
    Effect.map((keys) => {
      const out = new Map<ObjectId, Listed>();
      for (const k of keys) {
        const id = idOfObjectKey(ctx.keys.objects, k.key);
        if (id) out.set(id, { size: k.size, lastModifiedMs: k.lastModifiedMs });
      }
      return out;
    }),
  );

const unreadable = (root: string, id: ObjectId, linkedFrom: ObjectId | null, detail: string) =>
  storeError(new UnreadableRoot({ root, id, linkedFrom, detail }));

/** Runs gc over the bucket (see the module doc); `nowMs` is the server's clock. */
export const s3Gc = (
  ctx: S3Context,
  options: GcOptions,
  nowMs: number,
): Effect.Effect<GcReport, StoreError> =>
  Effect.gen(function* () {
    const dryRun = options.dryRun ?? false;
    const now = options.nowMs ?? nowMs;
    const cutoff = now - (options.graceMs ?? 7 * 86_400_000);
    const expiry = now - (options.reflogExpiryMs ?? 90 * 86_400_000);

    const refs = yield* listS3Refs(ctx);
    const { roots, strict, handled, moved, addRoot } = gcRoots(refs, options);
    // Reflog entries: `logs/<name>/.<seq>`, one object each.
    const logs = ctx.keys.logs;
    const entryKeys = (yield* listKeys(ctx.bucket, logs)).flatMap(({ key }) => {
      const m = /^(.+)\/\.\d{12}$/.exec(key.slice(logs.length));
      return m && !(handled.has(m[1]!) && !moved.has(m[1]!)) ? [{ key, name: m[1]! }] : [];
    });
    const bodies = yield* Effect.forEach(entryKeys, ({ key }) => getObject(ctx.bucket, key), {
      concurrency: CONCURRENCY,
    });
    bodies.forEach((body, i) => {
      const entry = body && decodeReflogEntry(new TextDecoder().decode(body.bytes));
      if (!entry || entry.timeMs < expiry) return;
      const label = `a reflog entry of "${entryKeys[i]!.name}"`;
      if (entry.old) addRoot(entry.old, label);
      if (entry.new) addRoot(entry.new, label);
    });

    const present = yield* listObjects(ctx);
    const cutBefore = yield* s3Cuts(ctx);

    // An object's links, typed where known: records and trees are read (verified),
    // blobs are not; an object of unknown kind is probed by its first bytes.
    const see = (id: ObjectId, kind: ObjectKind | undefined): Effect.Effect<Seen, StoreError> => {
      if (!present.has(id)) return Effect.succeed({ status: "missing" });
      return Effect.gen(function* () {
        let k = kind;
        let bytes: Uint8Array | undefined;
        if (k === undefined && present.get(id)!.size < 8) {
          // Too short for a range read to be worth it (and radosgw refuses one of an
          // empty object): read it whole.
          ({ kind: k, bytes } = yield* identifyObject(ctx, id, !dryRun));
        }
        if (k === undefined) {
          const head = yield* getObject(ctx.bucket, ctx.keys.object(id), 8);
          if (head === undefined) return { status: "missing" } as const;
          const kinds = candidateKinds(head.bytes);
          if (kinds.length === 1) k = "blob";
          else ({ kind: k, bytes } = yield* identifyObject(ctx, id, !dryRun));
        }
        if (k === "blob") return { status: "ok", links: [] } as const;
        bytes ??= yield* readVerified(ctx, id, k, !dryRun);
        if (k === "tree") {
          const links = decodeTree(bytes, id).map((e): Link => ({
            id: e.id,
            kind: e.mode === "directory" ? "tree" : "blob",
          }));
          return { status: "ok", links } as const;
        }
        const record = decodeRecord(bytes, id);
        const kinds = options.linkKinds?.(record);
        const links = [...new Set(record.links ?? [])].map((l): Link => {
          const lk = kinds?.get(l);
          return lk ? { id: l, kind: lk } : { id: l };
        });
        return { status: "ok", links } as const;
      }).pipe(
        Effect.catch((e: StoreError): Effect.Effect<Seen, StoreError> => {
          const tag = e.reason._tag;
          if (tag === "ObjectNotFound") return Effect.succeed({ status: "missing" });
          if (tag === "InvalidObject" && kind !== undefined) return see(id, undefined);
          if (tag === "IntegrityMismatch" || tag === "InvalidObject") {
            return Effect.succeed({ status: "corrupt", detail: e.message });
          }
          return Effect.fail(e);
        }),
      );
    };

    // Marks everything `from` leads to into `marked`, level by level (parallel reads);
    // returns how many named objects are absent. From roots, an unreadable object stops gc.
    const mark = (from: Iterable<Link>, marked: Set<ObjectId>, fromRoots: boolean) =>
      Effect.gen(function* () {
        type Item = { link: Link; parent: ObjectId | null; origin: ObjectId };
        let level: Item[] = [...from].map((link) => ({ link, parent: null, origin: link.id }));
        let absent = 0;
        while (level.length > 0) {
          const fresh = level.filter(({ link }) => {
            if (marked.has(link.id)) return false;
            marked.add(link.id);
            return true;
          });
          const seen = yield* Effect.forEach(fresh, ({ link }) => see(link.id, link.kind), {
            concurrency: CONCURRENCY,
          });
          const next: Item[] = [];
          for (let i = 0; i < fresh.length; i++) {
            const { link: { id }, parent, origin } = fresh[i]!;
            const s = seen[i]!;
            if (s.status === "missing") {
              if (fromRoots && parent === null && strict.has(id)) {
                return yield* Effect.fail(unreadable(roots.get(id)!, id, null, "is not there"));
              }
              // A link cut on purpose (a shortened history pushed here) is not missing.
              if (parent === null || !cutBefore.get(parent)?.has(id)) absent++;
            } else if (s.status === "corrupt") {
              if (fromRoots) {
                return yield* Effect.fail(
                  unreadable(roots.get(origin) ?? "a root", id, parent, `is damaged (${s.detail})`),
                );
              }
            } else {
              const cut = options.cutLinks?.get(id);
              for (const link of s.links) {
                if (!marked.has(link.id) && !cut?.has(link.id)) {
                  next.push({ link, parent: id, origin });
                }
              }
            }
          }
          level = next;
        }
        return absent;
      });

    const kept = new Set<ObjectId>();
    // Roots are named as records (scenario records, what refs name): read and verified
    // as such, not typed by their first bytes — a damaged record read as a blob would
    // name nothing, and what it names would go. Another kind of object is probed.
    const asRecords = (ids: Iterable<ObjectId>) =>
      [...ids].map((id): Link => ({ id, kind: "record" }));
    const missing = yield* mark(asRecords(roots.keys()), kept, true);
    const reachable = kept.size - missing;
    const fromRoots = new Set(kept);

    // Young unreachable objects are kept with their closures (an upload under way).
    const young = [...present].filter(([id, o]) => !kept.has(id) && o.lastModifiedMs >= cutoff)
      .map(([id]) => ({ id }));
    let youngMissing = yield* mark(young, kept, false);

    // Look again: what was named or uploaded while gc marked is kept.
    const refsNow = yield* listS3Refs(ctx);
    const before = new Map(refs.map((r) => [r.name, r.id]));
    const movedRefs = asRecords(
      refsNow.filter((r) => before.get(r.name) !== r.id).map((r) => r.id),
    );
    const presentNow = yield* listObjects(ctx);
    const appeared: Link[] = [];
    for (const [id, o] of presentNow) {
      if (!present.has(id)) {
        present.set(id, o);
        appeared.push({ id });
      }
    }
    youngMissing += yield* mark([...movedRefs, ...appeared], kept, false);

    // What is still there and kept by nothing goes.
    const doomed = new Map<ObjectId, number>();
    let youngKept = 0;
    for (const [id, o] of present) {
      if (!presentNow.has(id)) continue; // removed meanwhile
      if (!kept.has(id)) doomed.set(id, o.size);
      else if (!fromRoots.has(id)) youngKept++;
    }

    // Index entries naming an object about to go, or one already gone, first.
    const indexes = new Set(
      (yield* listKeys(ctx.bucket, ctx.keys.indexes)).flatMap(({ key }) => {
        const m = /^([a-z0-9_\-]+)\//.exec(key.slice(ctx.keys.indexes.length));
        return m ? [m[1]!] : [];
      }),
    );
    const stale: string[] = [];
    for (const name of indexes) {
      const { groups } = yield* scanS3Index(ctx, name, ctx.keys.index(name));
      for (const list of groups.values()) {
        for (const { value, s3Key } of list) {
          const target = value.split(" ", 1)[0]!;
          // A cut is written before the record it is cut from (a push under way): it
          // goes with that record, not for the record's absence.
          const gone = doomed.has(target) || (name !== CUTS_INDEX && !presentNow.has(target));
          if (isObjectId(target) && gone) {
            stale.push(s3Key);
          }
        }
      }
    }
    if (!dryRun) {
      yield* Effect.forEach(stale, (key) => deleteObject(ctx.bucket, key), {
        concurrency: CONCURRENCY,
        discard: true,
      });
      yield* removeParentsFirst(ctx, doomed, see);
    }
    let bytesRemoved = 0;
    for (const size of doomed.values()) bytesRemoved += size;
    return {
      dryRun,
      roots: roots.size,
      reachable,
      objectsRemoved: doomed.size,
      bytesRemoved,
      youngKept,
      indexEntriesRemoved: stale.length,
      tmpFilesRemoved: 0,
      deadSessionsRemoved: 0,
      deadLeasesRemoved: 0,
      missing: missing + youngMissing,
    };
  });

// Deletes `doomed` in waves, each object once no doomed object left links to it: a
// gc stopped between two waves leaves only complete closures.
const removeParentsFirst = (
  ctx: S3Context,
  doomed: ReadonlyMap<ObjectId, number>,
  see: (id: ObjectId, kind: ObjectKind | undefined) => Effect.Effect<Seen, StoreError>,
) =>
  Effect.gen(function* () {
    const ids = [...doomed.keys()];
    const seen = yield* Effect.forEach(ids, (id) => see(id, undefined), {
      concurrency: CONCURRENCY,
    });
    const children = new Map<ObjectId, ObjectId[]>();
    const parents = new Map<ObjectId, number>();
    ids.forEach((id, i) => {
      const s = seen[i]!;
      const links = s.status === "ok" ? s.links.map((l) => l.id).filter((l) => doomed.has(l)) : [];
      children.set(id, links);
      for (const l of links) parents.set(l, (parents.get(l) ?? 0) + 1);
    });
    let wave = ids.filter((id) => !parents.has(id));
    while (wave.length > 0) {
      yield* Effect.forEach(wave, (id) => deleteObject(ctx.bucket, ctx.keys.object(id)), {
        concurrency: CONCURRENCY,
        discard: true,
      });
      const next: ObjectId[] = [];
      for (const id of wave) {
        for (const child of children.get(id)!) {
          const left = parents.get(child)! - 1;
          parents.set(child, left);
          if (left === 0) next.push(child);
        }
      }
      wave = next;
    }
  });
