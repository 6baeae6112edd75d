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
 * Order matters for crash safety: index entries whose value is an object about to
 * be swept are dropped first, then the objects go; a gc killed half-way leaves
 * only garbage, never an index entry naming a missing record.
 *
 * @module
 */
import { AppendIndex } from "./append_index.ts";
import { isObjectId, type ObjectId } from "./object_id.ts";
import { objectPath } from "./layout.ts";
import type { StoreContext } from "./objects.ts";
import { listReflogs, listRefs, readReflog } from "./refs.ts";
import { readSessions } from "./session.ts";
import { listObjects, visit } from "./_walk.ts";
import { isNotFound, readDirOrEmpty, timeMs } from "./_fs.ts";

/** Options for {@linkcode gc}. */
export interface GcOptions {
  /** Report what would be removed without removing anything. */
  readonly dryRun?: boolean;
  /** Unreachable objects younger than this are kept (default one hour). */
  readonly graceMs?: number;
  /** Reflog entries younger than this are roots (default 90 days). */
  readonly reflogExpiryMs?: number;
  /** More roots (e.g. what a caller's policy wants kept). */
  readonly extraRoots?: readonly ObjectId[];
  /**
   * Refs (with their reflogs) that are not roots — a retention policy that keeps
   * only part of a ref's history passes those parts as `extraRoots` instead.
   */
  readonly ignoreRefs?: (name: string) => boolean;
  /** Links not to follow: from object → the links of it to ignore (cuts a history). */
  readonly cutLinks?: ReadonlyMap<ObjectId, ReadonlySet<ObjectId>>;
  /** The current time (ms); a parameter so tests can move it. */
  readonly nowMs?: number;
}

/** What gc did (or would do, in a dry run). */
export interface GcReport {
  readonly dryRun: boolean;
  readonly roots: number;
  readonly reachable: number;
  readonly objectsRemoved: number;
  readonly bytesRemoved: number;
  /**
   * Unreachable objects kept because they are younger than the grace period or a live
   * session, or are linked from such an object.
   */
  readonly youngKept: number;
  readonly indexEntriesRemoved: number;
  /** Old temp files and scratch directories in `tmp/` removed. */
  readonly tmpFilesRemoved: number;
  readonly deadSessionsRemoved: number;
  /** Roots or links naming objects that are not in the store. */
  readonly missing: number;
}

/** Runs gc over the store; see the module doc. */
export const gc = (ctx: StoreContext, options: GcOptions = {}): GcReport =>
  ctx.session.locked(() => {
    const dryRun = options.dryRun ?? false;
    const now = options.nowMs ?? Date.now();
    const sessions = readSessions(ctx.layout, dryRun);
    let cutoff = now - (options.graceMs ?? 3_600_000);
    if (sessions.oldestStartMs !== undefined) {
      cutoff = Math.min(cutoff, sessions.oldestStartMs - 2000);
    }
    // Every object present was written before we took the lock; when the cutoff is
    // at or after that moment no object can be too young, and the stat is skipped.
    const needStat = cutoff < Date.now();

    const roots = new Set<ObjectId>(options.extraRoots ?? []);
    const ignored = options.ignoreRefs ?? (() => false);
    for (const { name, id } of listRefs(ctx.layout)) if (!ignored(name)) roots.add(id);
    const expiry = now - (options.reflogExpiryMs ?? 90 * 86_400_000);
    for (const name of listReflogs(ctx.layout)) {
      if (ignored(name)) continue;
      for (const entry of readReflog(ctx.layout, name)) {
        if (entry.timeMs < expiry) continue;
        if (entry.old) roots.add(entry.old);
        if (entry.new) roots.add(entry.new);
      }
    }
    for (const id of sessions.roots) roots.add(id);

    // Marks everything `from` leads to into `marked`; returns how many named objects are absent.
    const mark = (from: Iterable<ObjectId>, marked: Set<ObjectId>): number => {
      const stack = [...from];
      let absent = 0;
      while (stack.length > 0) {
        const id = stack.pop()!;
        if (marked.has(id)) continue;
        marked.add(id);
        const seen = visit(ctx, id, false);
        if (seen.status === "missing") absent++;
        else if (seen.status === "ok") {
          const cut = options.cutLinks?.get(id);
          for (const link of seen.links) {
            if (!marked.has(link) && !cut?.has(link)) stack.push(link);
          }
        }
      }
      return absent;
    };
    const reachable = new Set<ObjectId>();
    const missing = mark(roots, reachable);

    // An unreachable object younger than the cutoff is kept, and so is everything it
    // links to, however old (as Git keeps recent objects' closures): a young run record
    // whose inputs went would name missing objects once a cache hit made it reachable.
    const unreachable = new Map<ObjectId, number>();
    const young: ObjectId[] = [];
    for (const id of listObjects(ctx).ids) {
      if (reachable.has(id)) continue;
      const info = Deno.lstatSync(objectPath(ctx.layout, id));
      unreachable.set(id, info.size);
      if (needStat && timeMs(info.mtime) >= cutoff) young.push(id);
    }
    // Marked on into the same set (no copy of it): from here on it holds what is kept.
    const reachableCount = reachable.size;
    const youngMissing = mark(young, reachable);
    const doomed = new Map<ObjectId, number>();
    for (const [id, size] of unreachable) if (!reachable.has(id)) doomed.set(id, size);
    const youngKept = unreachable.size - doomed.size;

    let indexEntriesRemoved = 0;
    for (const entry of readDirOrEmpty(ctx.layout.index)) {
      const m = /^([a-z0-9_\-]+)\.log$/.exec(entry.name);
      if (!m || !entry.isFile) continue;
      const index = new AppendIndex(ctx.layout, m[1]!);
      // An entry whose value starts with an object id (e.g. "<run id> <outputs>") depends on it.
      const drop = (value: string) => {
        const target = value.split(" ", 1)[0]!;
        return isObjectId(target) && doomed.has(target);
      };
      if (dryRun) {
        for (const values of index.entries().values()) {
          indexEntriesRemoved += values.filter(drop).length;
        }
      } else {
        indexEntriesRemoved += index.compact({ keep: (_key, value) => !drop(value) }).rejected;
      }
      index.close();
    }

    // Remember links cut on purpose whose target goes, so fsck does not call them missing.
    if (!dryRun && options.cutLinks) {
      const lines: string[] = [];
      for (const [from, tos] of options.cutLinks) {
        for (const to of tos) {
          if (doomed.has(to) && reachable.has(from)) lines.push(`${from} ${to}\n`);
        }
      }
      if (lines.length > 0) {
        Deno.writeTextFileSync(ctx.layout.cuts, lines.join(""), { append: true });
      }
    }

    let bytesRemoved = 0;
    for (const [id, size] of doomed) {
      if (!dryRun) {
        try {
          Deno.removeSync(objectPath(ctx.layout, id));
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
      bytesRemoved += size;
    }

    // Old temp files, and old scratch directories: a pipeline's step directory, left
    // with its half-written outputs by a killed process. The cutoff spares those of
    // live processes: a pipeline starts its session before it makes a scratch directory.
    let tmpFilesRemoved = 0;
    for (const entry of readDirOrEmpty(ctx.layout.tmp)) {
      const path = `${ctx.layout.tmp}/${entry.name}`;
      if (!entry.isFile && !(entry.isDirectory && path !== ctx.layout.sessions)) continue;
      const info = Deno.lstatSync(path);
      if (timeMs(info.mtime) >= cutoff) continue;
      if (!dryRun) {
        try {
          Deno.removeSync(path, { recursive: entry.isDirectory });
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
      tmpFilesRemoved++;
    }

    return {
      dryRun,
      roots: roots.size,
      reachable: reachableCount - missing,
      objectsRemoved: doomed.size,
      bytesRemoved,
      youngKept,
      indexEntriesRemoved,
      tmpFilesRemoved,
      deadSessionsRemoved: sessions.removed,
      missing: missing + youngMissing,
    };
  }, true);
