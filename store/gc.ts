/**
 * Garbage collection: mark from roots, sweep what is unreachable and old enough.
 *
 * Roots: every ref; every reflog entry younger than `reflogExpiryMs`; the temporary
 * roots of live writer sessions; `extraRoots`. Marking follows tree entries and
 * record `links`. An unreachable object is swept only when its mtime is older than
 * the grace period *and* older than the start of every live writer session, so a
 * pipeline running in another process loses nothing it wrote or found; what such a
 * young object links to is kept with it. gc holds `gc.lock` exclusively while it
 * runs; writers wait for it for a few syscalls.
 *
 * A root that cannot be read stops gc before anything is removed (`UnreadableRoot`):
 * a ref or policy root naming a missing object, or any object reachable from a root
 * that is damaged — what it links to cannot be known, and sweeping without it would
 * delete what it reaches. Missing reflog and session roots are normal (expired
 * history, a cache hit that lost a race) and are only counted.
 *
 * Order matters for crash safety: old temp files go first (they free space and
 * nothing depends on them); then index entries whose value names an object about
 * to be swept, or one already gone, are dropped; then the objects go. A gc killed
 * half-way leaves only garbage, never an index entry naming a missing record. On a
 * full disk, where the index cannot be rewritten until space is freed, the objects
 * go first (the records index entries name before the rest) and the entries after.
 *
 * @module
 */
import { storeError, UnreadableRoot } from "./errors.ts";
import { isObjectId, type ObjectId, type ObjectKind } from "./object_id.ts";
import type { StoreRecord } from "./record.ts";
import { objectPath } from "./layout.ts";
import type { StoreContext } from "./objects.ts";
import { listReflogs, listRefs, readReflog } from "./refs.ts";
import { readSessions } from "./session.ts";
import { removeDeadLeases } from "./lease.ts";
import { fromFact, learnFrom, listObjects, visit, type Visited } from "./_walk.ts";
import type { ObjectFacts } from "./object_facts.ts";
import { planPruning } from "./_prune_indexes.ts";
import { sweepTmp } from "./_sweep_tmp.ts";
import { isNoSpace, lstatOrUndefined, removeIfExists, timeMs } from "./_fs.ts";
import { gcRoots } from "./_gc_roots.ts";
import { appendCuts, readCuts } from "./_cuts.ts";

/** Options for {@linkcode gc}. */
export interface GcOptions {
  /** Report what would be removed without removing anything. */
  readonly dryRun?: boolean;
  /** Unreachable objects younger than this are kept (default one hour). */
  readonly graceMs?: number;
  /** Reflog entries younger than this are roots (default 90 days). */
  readonly reflogExpiryMs?: number;
  /** More roots (e.g. what a caller's policy wants kept), each with what to call it in errors. */
  readonly extraRoots?: readonly ObjectId[] | ReadonlyMap<ObjectId, string>;
  /**
   * Refs a retention policy has handled, with the value it read: they and their
   * reflogs are not roots (the policy passes the parts of their histories to keep as
   * `extraRoots`). A ref whose value differs when gc runs — moved since the policy
   * read it — is an ordinary root again, reflog and all, so a record written in
   * between is kept; a ref not in the map always is.
   */
  readonly handledRefs?: ReadonlyMap<string, ObjectId>;
  /** Links not to follow: from object → the links of it to ignore (cuts a history). */
  readonly cutLinks?: ReadonlyMap<ObjectId, ReadonlySet<ObjectId>>;
  /** The current time (ms) on the file system's clock; a parameter so tests can move it. */
  readonly nowMs?: number;
  /**
   * What earlier passes learned of objects (see `object_facts.ts`): an object whose
   * file is unchanged is marked from its fact without being read, and what this pass
   * reads is handed back to learn.
   */
  readonly facts?: ObjectFacts;
  /**
   * The kinds of a record's links, where its format says them. A local store reads
   * any object cheaply and ignores this; a remote store uses it so that marking never
   * downloads a blob to learn that it is one.
   */
  readonly linkKinds?: (record: StoreRecord) => ReadonlyMap<ObjectId, ObjectKind>;
}

/** What gc did (or would do, in a dry run). */
export interface GcReport {
  /** Whether nothing was removed (a dry run). */
  readonly dryRun: boolean;
  /** Roots marked from. */
  readonly roots: number;
  /** Objects reachable from the roots. */
  readonly reachable: number;
  /** Objects removed (or that would be). */
  readonly objectsRemoved: number;
  /** Their bytes. */
  readonly bytesRemoved: number;
  /**
   * Unreachable objects kept because they are younger than the grace period or a live
   * session, or are linked from such an object.
   */
  readonly youngKept: number;
  /** Index entries dropped. */
  readonly indexEntriesRemoved: number;
  /** Old temp files and scratch directories in `tmp/` removed. */
  readonly tmpFilesRemoved: number;
  /** Session files of dead processes removed. */
  readonly deadSessionsRemoved: number;
  /** Leases of dead holders (or stale ones of other hosts) removed. */
  readonly deadLeasesRemoved: number;
  /** Roots or links naming objects that are not in the store. */
  readonly missing: number;
}

const unreadable = (root: string, id: ObjectId, linkedFrom: ObjectId | null, detail: string) =>
  storeError(new UnreadableRoot({ root, id, linkedFrom, detail }));

/** Runs gc over the store; see the module doc. */
export const gc = (ctx: StoreContext, options: GcOptions = {}): GcReport =>
  ctx.session.locked(() => {
    const dryRun = options.dryRun ?? false;
    // Ages are judged on the file system's clock, which stamped every mtime compared
    // here: the process's may be seconds (or hours) off it.
    const fsNow = ctx.session.fsNow();
    const now = options.nowMs ?? fsNow;
    const sessions = readSessions(ctx.layout, dryRun);
    let cutoff = now - (options.graceMs ?? 3_600_000);
    if (sessions.oldestStartMs !== undefined) {
      cutoff = Math.min(cutoff, sessions.oldestStartMs - 2000);
    }
    // Every object present was written before we took the lock; when the cutoff is
    // after that moment (and the refresh margin of a process clock ahead of the file
    // system's) no object can be too young, and the stat is skipped.
    const needStat = cutoff < fsNow + 60_000;

    const { roots, strict, handled, moved, addRoot } = gcRoots(listRefs(ctx.layout), options);
    const cutBefore = readCuts(ctx.layout.cuts);
    const expiry = now - (options.reflogExpiryMs ?? 90 * 86_400_000);
    for (const name of listReflogs(ctx.layout)) {
      if (handled.has(name) && !moved.has(name)) continue;
      for (const entry of readReflog(ctx.layout, name)) {
        if (entry.timeMs < expiry) continue;
        if (entry.old) addRoot(entry.old, `a reflog entry of "${name}"`);
        if (entry.new) addRoot(entry.new, `a reflog entry of "${name}"`);
      }
    }
    for (const id of sessions.roots) addRoot(id, "a live writer session");

    // An object's kind and links: from what an earlier pass learned while its file is
    // unchanged (one lstat), else read (and learned).
    const facts = options.facts;
    // Every object present (listed once: nothing is written while gc holds its lock).
    const present = new Set<ObjectId>(listObjects(ctx).ids);
    // `root`: a root is read whole and verified, whatever its first bytes look like: it
    // is what refs name (a scenario record), and a damaged one taken for a blob would
    // name nothing, so that everything it names would be swept.
    const see = (id: ObjectId, root: boolean): Visited => {
      if (facts) {
        // A blob's fact says only that it links nothing, and gc never read a blob's
        // bytes (it takes an object whose first bytes fit only a blob as one): being
        // listed is enough. A record or tree is trusted only while its file is unchanged.
        const fact = facts.get(id);
        if (fact?.kind === "blob" && present.has(id) && !root) {
          return { status: "ok", kind: "blob", links: [], size: fact.size };
        }
        const info = lstatOrUndefined(objectPath(ctx.layout, id));
        if (!info) {
          facts.forget(id);
          return { status: "missing" };
        }
        const known = fromFact(facts, id, info, root);
        if (known) return known;
      }
      const seen = visit(ctx, id, root);
      learnFrom(facts, id, seen, now);
      return seen;
    };

    // Marks everything `from` leads to into `marked`; returns how many named objects
    // are absent. From roots (`fromRoots`), an object that cannot be read stops gc.
    const mark = (from: Iterable<ObjectId>, marked: Set<ObjectId>, fromRoots: boolean): number => {
      const stack = [...from];
      // Who linked each stacked object (undefined: a root) and the root it came from.
      const parents: (ObjectId | undefined)[] = stack.map(() => undefined);
      const origins: ObjectId[] = [...stack];
      let absent = 0;
      while (stack.length > 0) {
        const id = stack.pop()!;
        const parent = parents.pop();
        const origin = origins.pop()!;
        if (marked.has(id)) continue;
        marked.add(id);
        const seen = see(id, fromRoots && parent === undefined);
        if (seen.status === "missing") {
          if (fromRoots && parent === undefined && strict.has(id)) {
            throw unreadable(roots.get(id)!, id, null, "is not in the store");
          }
          // A link cut on purpose by an earlier gc (or a pulled history's) is not missing.
          if (parent === undefined || !cutBefore.get(parent)?.has(id)) absent++;
        } else if (seen.status === "corrupt") {
          if (fromRoots) {
            throw unreadable(
              roots.get(origin) ?? "a root",
              id,
              parent ?? null,
              `is damaged (${seen.detail})`,
            );
          }
        } else {
          const cut = options.cutLinks?.get(id);
          for (const link of seen.links) {
            if (!marked.has(link) && !cut?.has(link)) {
              stack.push(link);
              parents.push(id);
              origins.push(origin);
            }
          }
        }
      }
      return absent;
    };
    const reachable = new Set<ObjectId>();
    const missing = mark(roots.keys(), reachable, true);

    // An unreachable object younger than the cutoff is kept, and so is everything it
    // links to, however old (as Git keeps recent objects' closures): a young run record
    // whose inputs went would name missing objects once a cache hit made it reachable.
    const unreachable = new Map<ObjectId, number>();
    const young: ObjectId[] = [];
    for (const id of present) {
      if (reachable.has(id)) continue;
      // Nothing can remove an object while gc holds its lock, but a person can.
      const info = lstatOrUndefined(objectPath(ctx.layout, id));
      if (!info) continue;
      unreachable.set(id, info.size);
      if (needStat && timeMs(info.mtime) >= cutoff) young.push(id);
    }
    // Marked on into the same set (no copy of it): from here on it holds what is kept.
    const reachableCount = reachable.size;
    const youngMissing = mark(young, reachable, false);
    const doomed = new Map<ObjectId, number>();
    for (const [id, size] of unreachable) if (!reachable.has(id)) doomed.set(id, size);
    const youngKept = unreachable.size - doomed.size;

    // Old temp files and scratch directories first: removing them frees space and
    // depends on nothing else.
    const tmpFilesRemoved = sweepTmp(ctx, cutoff, dryRun);

    // An index entry whose value starts with an object id ("<run id> <outputs>")
    // depends on it. Dropped: those naming an object about to go, and those naming one
    // already gone — left by a gc killed half-way, a reindex that raced an older gc, a
    // damaged object set aside — so no entry outlives what it names by more than a pass.
    // Only indexes with something to drop are rewritten.
    const named = new Set<ObjectId>();
    const drop = (value: string) => {
      const target = value.split(" ", 1)[0]!;
      if (!isObjectId(target) || (present.has(target) && !doomed.has(target))) return false;
      named.add(target);
      return true;
    };
    // Only a line whose value starts with an id that is absent or doomed can be dropped.
    const mayDrop = (line: string) => {
      const tab = line.indexOf("\t");
      const after = line.charCodeAt(tab + 65);
      if (tab < 0 || (after !== 32 && after !== 9)) return false;
      const target = line.slice(tab + 1, tab + 65);
      return !present.has(target) || doomed.has(target);
    };
    const pruning = planPruning(ctx.layout, drop, dryRun, mayDrop);
    const compact = pruning.compact;

    // Links cut on purpose whose target goes, remembered so fsck does not call them
    // missing (nor a later gc, nor a push or pull of the history).
    const cuts: [ObjectId, ObjectId][] = [];
    for (const [from, tos] of options.cutLinks ?? []) {
      for (const to of tos) if (doomed.has(to) && reachable.has(from)) cuts.push([from, to]);
    }
    const writeCuts = () => {
      appendCuts(ctx.layout.cuts, cuts, cutBefore);
      cuts.length = 0;
    };

    // Crash safety: the entries that name doomed objects go before the objects do, so a
    // gc killed half-way leaves only garbage. On a full disk the index cannot be
    // rewritten before space is freed; then the objects go first — the records index
    // entries name before anything else, so an entry a killed gc leaves names a missing
    // record (a cache miss), never a present run with missing outputs — and the entries
    // after (and the next gc drops any a kill left).
    let late = false;
    if (!dryRun) {
      try {
        writeCuts();
        compact();
      } catch (e) {
        if (!isNoSpace(e)) throw e;
        late = true;
      }
    }
    let bytesRemoved = 0;
    const order = late
      ? [...doomed].sort(([a], [b]) => Number(named.has(b)) - Number(named.has(a)))
      : doomed;
    for (const [id, size] of order) {
      if (!dryRun) {
        removeIfExists(objectPath(ctx.layout, id));
        facts?.forget(id);
      }
      bytesRemoved += size;
    }
    if (late) {
      writeCuts();
      compact();
    }

    return {
      dryRun,
      roots: roots.size,
      reachable: reachableCount - missing,
      objectsRemoved: doomed.size,
      bytesRemoved,
      youngKept,
      indexEntriesRemoved: dryRun ? pruning.planned : pruning.removed(),
      tmpFilesRemoved,
      deadSessionsRemoved: sessions.removed,
      deadLeasesRemoved: removeDeadLeases(ctx.layout, fsNow, dryRun),
      missing: missing + youngMissing,
    };
  }, true);
