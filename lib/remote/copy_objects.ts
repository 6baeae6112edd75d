/**
 * Copying a closure of objects from one store to another — local to remote (push)
 * or remote to local (pull) — so that the destination never names an object it
 * does not fully hold: what the destination lacks is found level by level (one
 * `missing` call per level, which a remote answers with listings and parallel
 * lookups), then written children first — a blob before the tree that names it,
 * every link before the record — in waves of parallel writes. An interrupted copy
 * leaves only complete closures behind, so the next copy starts from them.
 *
 * Every object read is verified against its id by the source, and every write
 * proves the id again (the destination hashes what it stores); a mismatch fails.
 *
 * A link cut on purpose (`ObjectStoreApi.cuts`: a history a retention policy
 * shortened) whose object the source lacks is carried as a cut — recorded in the
 * destination before anything is written — rather than failing the copy, so a shortened
 * history copies whole and the destination knows why its oldest record names a
 * parent it lacks. Any other object the source lacks fails the copy. (A cut is seen
 * where the source is read to be walked — a record, a tree, an object of unknown kind;
 * what a retention policy cuts, a scenario record's parent, is a record. A blob the
 * source lacks fails the copy when it is written, cut or not.)
 *
 * @module
 */
import * as Effect from "effect/Effect";
import type { StoreError } from "../../store/errors.ts";
import type { ObjectId, ObjectKind } from "../../store/object_id.ts";
import type { ObjectStoreApi } from "../../store/object_store.ts";
import type { StoreRecord } from "../../store/record.ts";
import { encodeTree, type TreeEntry } from "../../store/tree.ts";
import { RemoteError } from "./remote_error.ts";
import { type TypedLink, typedLinks } from "./typed_links.ts";

/** How far a copy has got. */
export interface CopyProgress {
  /** Objects written so far, of `objectsTotal` the destination lacked. */
  readonly objects: number;
  readonly objectsTotal: number;
  /** Payload bytes written so far. */
  readonly bytes: number;
}

/** How to copy. */
export interface CopyOptions {
  /** Copy blobs and trees too (false: records only — a pull without the bytes). */
  readonly bytes: boolean;
  /**
   * Take an object the destination holds to come with everything it links to (true
   * when the destination was only ever written children first, as a remote is);
   * false reads the destination's records to find bytes they link to but lack.
   */
  readonly trustPresent: boolean;
  /** A directory on the local store's file system for files in transit. */
  readonly scratch: string;
  /** Writes at once (default 8). */
  readonly concurrency?: number;
  readonly onProgress?: (progress: CopyProgress) => void;
}

/** What a copy did. */
export interface CopyReport {
  /** Objects written to the destination, and their payload bytes. */
  readonly objects: number;
  readonly bytes: number;
  /** Objects found already there (roots and links looked up). */
  readonly present: number;
  /** Every record read on the way, by id (those copied and, without `trustPresent`, those present). */
  readonly records: ReadonlyMap<ObjectId, StoreRecord>;
  /** Links cut on purpose recorded in the destination (see the module doc). */
  readonly cutLinks: number;
}

// A link to follow, and the record that has it (none for a root or a tree's entry).
type Step = TypedLink & { readonly from?: ObjectId };

interface Pending {
  readonly kind: ObjectKind;
  readonly links: readonly ObjectId[];
  readonly record?: StoreRecord;
  readonly entries?: readonly TreeEntry[];
}

const lacking =
  (src: ObjectStoreApi, id: ObjectId) =>
  (e: StoreError): Effect.Effect<never, StoreError | RemoteError> =>
    e.reason._tag === "ObjectNotFound"
      ? Effect.fail(
        new RemoteError({
          detail:
            `Cannot copy object ${id}: neither ${src.root} nor the destination holds it (a store pulled without --all lacks the bytes: "cairn pull --all" them first)`,
        }),
      )
      : Effect.fail(e);

const wrongId = (what: string, id: ObjectId, got: ObjectId) =>
  Effect.fail(
    new RemoteError({ detail: `Cannot copy ${what} ${id}: the destination stored it as ${got}` }),
  );

/** Copies the closure of `roots` from `src` into `dst` (see the module doc). */
export const copyObjects = (
  src: ObjectStoreApi,
  dst: ObjectStoreApi,
  roots: readonly TypedLink[],
  options: CopyOptions,
): Effect.Effect<CopyReport, StoreError | RemoteError> =>
  Effect.gen(function* () {
    const concurrency = options.concurrency ?? 8;
    const pending = new Map<ObjectId, Pending>();
    const records = new Map<ObjectId, StoreRecord>();
    const visited = new Set<ObjectId>();
    let present = 0;
    const follow = (link: TypedLink) => options.bytes || link.kind === "record";
    // Read only when the source lacks a linked object (no request in a copy that
    // meets no cut): both stores' cuts.
    const cuts = yield* Effect.cached(Effect.all([src.cuts(), dst.cuts()]));
    const carried: [ObjectId, ObjectId][] = [];
    const linksOf = (id: ObjectId, record: StoreRecord): Step[] =>
      typedLinks(record).map((l) => ({ ...l, from: id }));
    // The source lacks `link`'s object: carried as a cut when the link was cut on
    // purpose (in either store), else the copy fails.
    const lackedBy =
      (link: Step) => (e: StoreError): Effect.Effect<Step[], StoreError | RemoteError> =>
        e.reason._tag !== "ObjectNotFound" || link.from === undefined
          ? lacking(src, link.id)(e)
          : Effect.flatMap(cuts, ([inSrc, inDst]) => {
            const from = link.from!;
            if (inDst.get(from)?.has(link.id)) return Effect.succeed([]);
            if (!inSrc.get(from)?.has(link.id)) return lacking(src, link.id)(e);
            carried.push([from, link.id]);
            return Effect.succeed([]);
          });

    let frontier: Step[] = [...roots];
    while (frontier.length > 0) {
      const fresh: Step[] = [];
      for (const link of frontier) {
        if (visited.has(link.id) || !follow(link)) continue;
        visited.add(link.id);
        fresh.push(link);
      }
      const absent = new Set(yield* dst.missing(fresh.map((l) => l.id)));
      present += fresh.length - absent.size;
      const fromSource = (link: Step): Effect.Effect<Step[], StoreError> =>
        Effect.gen(function* () {
          const { id } = link;
          const kind = link.kind ?? (yield* src.identify(id));
          if (kind === "record") {
            const record = yield* src.readRecord(id);
            records.set(id, record);
            const links = linksOf(id, record);
            pending.set(id, { kind, record, links: links.filter(follow).map((l) => l.id) });
            return links;
          }
          if (kind === "tree") {
            const entries = yield* src.readTree(id);
            pending.set(id, { kind, entries, links: entries.map((e) => e.id) });
            return entries.map((e) => ({
              id: e.id,
              kind: (e.mode === "directory" ? "tree" : "blob") as ObjectKind,
            }));
          }
          pending.set(id, { kind, links: [] });
          return [];
        });
      const next = yield* Effect.forEach(fresh, (link) =>
        Effect.gen(function* () {
          const { id } = link;
          if (!absent.has(id)) {
            // Present: descend only into a record whose bytes may be missing.
            if (options.trustPresent || !(link.kind === "record" || link.kind === undefined)) {
              return [];
            }
            const kind = link.kind ?? (yield* dst.identify(id));
            if (kind !== "record") return [];
            const record = yield* dst.readRecord(id);
            records.set(id, record);
            return linksOf(id, record);
          }
          return yield* fromSource(link).pipe(Effect.catch(lackedBy(link)));
        }), { concurrency });
      frontier = next.flat();
    }

    // The cuts before the records cut from them: a copy stopped in between leaves a cut
    // of a record not there yet, which names nothing.
    if (carried.length > 0) yield* dst.addCuts(carried);

    let objects = 0;
    let bytes = 0;
    const total = pending.size;
    const report = () => options.onProgress?.({ objects, objectsTotal: total, bytes });
    report();
    const write = (id: ObjectId, item: Pending): Effect.Effect<void, StoreError | RemoteError> =>
      Effect.gen(function* () {
        let size: number;
        if (item.record) {
          const put = yield* dst.putRecord(item.record);
          if (put.id !== id) return yield* wrongId("record", id, put.id);
          size = put.size;
        } else if (item.entries) {
          const put = yield* dst.put("tree", encodeTree(item.entries));
          if (put.id !== id) return yield* wrongId("tree", id, put.id);
          size = put.size;
        } else {
          // Through a file, so a large blob streams (a local source hard-links it: no copy).
          const path = `${options.scratch}/${crypto.randomUUID()}`;
          yield* src.materialize(id, path, { kind: "blob", link: "hardlink" }).pipe(
            Effect.catch(lacking(src, id)),
          );
          const put = yield* dst.putFile(path, { move: true }).pipe(
            // A move took it away already; a put that failed leaves it here.
            Effect.ensuring(Effect.ignore(Effect.try(() => Deno.removeSync(path)))),
          );
          if (put.id !== id) return yield* wrongId("blob", id, put.id);
          size = put.size;
        }
        objects++;
        bytes += size;
        report();
      });

    // Children first: a wave is every pending object whose pending links are written.
    const left = new Map(pending);
    while (left.size > 0) {
      const wave = [...left].filter(([, item]) => item.links.every((l) => !left.has(l)));
      if (wave.length === 0) {
        return yield* Effect.fail(
          new RemoteError({
            detail: "Cannot copy: the objects link in a cycle, which content ids cannot",
          }),
        );
      }
      yield* Effect.forEach(wave, ([id, item]) => write(id, item), { concurrency, discard: true });
      for (const [id] of wave) left.delete(id);
    }
    return { objects, bytes, present, records, cutLinks: carried.length };
  });
