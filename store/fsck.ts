/**
 * fsck: check the whole store and report, by named step, what is wrong.
 *
 * Steps: every object is re-hashed under the framing of its kind (a damaged one is
 * *corrupt*); every tree entry and record link must name a present object
 * (*missing*); every ref and every reflog entry must name a present object
 * (*dangling refs*, reported; old reflog entries may legitimately have been
 * collected, so they are counted but are not an error); every index entry whose
 * value starts with an object id must name a present object (*dangling index entries*)
 * and, where the caller says what an index names, an object of that kind (*wrong kind*);
 * objects must be read-only; names in `objects/` that are not ids are *strays*.
 *
 * @module
 */
import { AppendIndex, parseIndexLine } from "./append_index.ts";
import { isObjectId, type ObjectId, type ObjectKind } from "./object_id.ts";
import { objectPath } from "./layout.ts";
import { hasObject, type StoreContext } from "./objects.ts";
import { listReflogs, listRefs, readReflog } from "./refs.ts";
import { fromFact, learnFrom, listObjects, visit } from "./_walk.ts";
import { lstatOrUndefined, readDirOrEmpty } from "./_fs.ts";
import type { ObjectFacts } from "./object_facts.ts";
import { readCuts } from "./_cuts.ts";

/** What the leading object id of an index's values must name. */
export interface IndexTarget {
  /** The kind the index's values must name. */
  readonly kind: ObjectKind;
  /** For records, the `type` they must have. */
  readonly type?: string;
}

/** Options for {@linkcode fsck}. */
export interface FsckOptions {
  /**
   * Check structure and links, not bytes: objects that can only be blobs are not
   * hashed, and with `facts` an object whose file is unchanged since an earlier pass
   * read it is not read again (its kind, size and links are that pass's).
   */
  readonly quick?: boolean;
  /**
   * What earlier passes learned of objects (see `object_facts.ts`); a quick fsck
   * trusts them for unchanged files, and every fsck hands back what it reads.
   */
  readonly facts?: ObjectFacts;
  /** The current time (ms), for the racy window of what is learned; a parameter so tests can move it. */
  readonly nowMs?: number;
  /**
   * Per index name, what its values' leading ids must name (the layer that writes an
   * index knows: the cache index names run records). An entry naming another kind
   * is a *wrong-kind* problem: it checks out, but a reader would trust a forgery.
   */
  readonly indexTargets?: Readonly<Record<string, IndexTarget>>;
}

/** A problem found by fsck. */
export interface FsckProblem {
  /** What is wrong. */
  readonly kind:
    | "corrupt"
    | "missing"
    | "dangling-ref"
    | "dangling-index"
    | "wrong-kind"
    | "writable"
    | "stray";
  /** The object, ref or index entry concerned. */
  readonly subject: string;
  /** What fsck saw. */
  readonly detail: string;
}

/** What fsck found. */
export interface FsckReport {
  /** True when no problem was found. */
  readonly ok: boolean;
  /** Objects checked. */
  readonly objects: number;
  /** Their bytes. */
  readonly bytes: number;
  /** Objects by kind. */
  readonly byKind: { readonly blob: number; readonly tree: number; readonly record: number };
  /** Refs checked. */
  readonly refs: number;
  /** Reflog entries read. */
  readonly reflogEntries: number;
  /** Reflog entries naming objects no longer present (expired history; not an error). */
  readonly expiredReflogEntries: number;
  /** Index entries checked. */
  readonly indexEntries: number;
  /** Files left in `tmp/`. */
  readonly tmpFiles: number;
  /** Every problem, by kind. */
  readonly problems: readonly FsckProblem[];
}

/** Checks the store; see the module doc. */
export const fsck = (ctx: StoreContext, options: FsckOptions = {}): FsckReport => {
  const problems: FsckProblem[] = [];
  const byKind = { blob: 0, tree: 0, record: 0 };
  let bytes = 0;
  const { ids, strays } = listObjects(ctx);
  // Links are checked against the ids listed, in memory — a stat per link cost more
  // than the rest of a quick fsck; only an id not listed (written since) is stat'ed.
  const listed = new Set(ids);
  const present = (id: ObjectId) => listed.has(id) || hasObject(ctx, id);
  const cuts = readCuts(ctx.layout.cuts);
  // What each intact object is ("blob", "tree", "record:<type>"), for index targets.
  const kinds = new Map<ObjectId, string>();
  for (const stray of strays) {
    problems.push({ kind: "stray", subject: `objects/${stray}`, detail: "not an object id" });
  }
  const facts = options.facts;
  const now = options.nowMs ?? Date.now();
  const refs = listRefs(ctx.layout);
  // What refs name (scenario records) is not taken for a blob by a quick fsck: a
  // damaged one whose first bytes fit only a blob would pass for one; it is read whole.
  const named = new Set(refs.map((r) => r.id));
  for (const id of ids) {
    // One lstat tells the mode and whether the file is the one an earlier pass read.
    const info = lstatOrUndefined(objectPath(ctx.layout, id));
    let seen = info && options.quick ? fromFact(facts, id, info, named.has(id)) : undefined;
    if (!seen) {
      seen = visit(ctx, id, !options.quick || named.has(id));
      learnFrom(facts, id, seen, now);
    }
    if (seen.status === "missing" || !info) {
      listed.delete(id); // removed while we listed
      facts?.forget(id);
      continue;
    }
    bytes += seen.size;
    if (seen.status === "corrupt") {
      facts?.forget(id);
      problems.push({ kind: "corrupt", subject: id, detail: seen.detail });
      continue;
    }
    byKind[seen.kind]++;
    kinds.set(id, seen.type === undefined ? seen.kind : `${seen.kind}:${seen.type}`);
    for (const link of seen.links) {
      if (!present(link) && !cuts.get(id)?.has(link)) {
        problems.push({ kind: "missing", subject: link, detail: `named by ${seen.kind} ${id}` });
      }
    }
    const mode = info.mode ?? 0;
    if ((mode & 0o222) !== 0) {
      problems.push({
        kind: "writable",
        subject: id,
        detail: `mode ${(mode & 0o777).toString(8)}; objects must be 0444`,
      });
    }
  }
  for (const { name, id } of refs) {
    if (!present(id)) {
      problems.push({ kind: "dangling-ref", subject: name, detail: `points at missing ${id}` });
    }
  }
  let reflogEntries = 0;
  let expiredReflogEntries = 0;
  for (const name of listReflogs(ctx.layout)) {
    for (const entry of readReflog(ctx.layout, name)) {
      reflogEntries++;
      if (entry.new && !present(entry.new)) expiredReflogEntries++;
    }
  }
  let indexEntries = 0;
  let tmpFiles = 0;
  for (const entry of readDirOrEmpty(ctx.layout.index)) {
    const m = /^([a-z0-9_\-]+)\.log$/.exec(entry.name);
    if (!m) continue;
    const index = new AppendIndex(ctx.layout, m[1]!);
    const want = options.indexTargets?.[m[1]!];
    let last: { readonly id: ObjectId; readonly present: boolean } | undefined;
    index.scanLines((line) => {
      const entry = parseIndexLine(line);
      if (!entry) return;
      const [key, value] = entry;
      indexEntries++;
      // As gc reads it: a value "<id>" or "<id> <more>" depends on object <id>. A run's
      // entries come together, each naming the run: the last id's answer is reused.
      let target: ObjectId | undefined;
      let here: boolean;
      if (last !== undefined && startsWithId(value, last.id)) {
        target = last.id;
        here = last.present;
      } else {
        target = leadingId(value);
        here = target === undefined || present(target);
        if (target !== undefined) last = { id: target, present: here };
      }
      if (target !== undefined && !here) {
        problems.push({
          kind: "dangling-index",
          subject: `${m[1]}:${key}`,
          detail: `names missing ${target}`,
        });
        return;
      }
      const found = want && target !== undefined ? kinds.get(target) : undefined;
      if (want && found !== undefined) {
        const [kind, type] = found.split(/:(.*)/s);
        if (kind !== want.kind || (want.type !== undefined && type !== want.type)) {
          const what = kind === "record"
            ? `record ${target} of type "${type}"`
            : `${kind} ${target}`;
          const wanted = want.type === undefined ? `a ${want.kind}` : `a ${want.type} ${want.kind}`;
          problems.push({
            kind: "wrong-kind",
            subject: `${m[1]}:${key}`,
            detail: `names ${what}, not ${wanted}`,
          });
        }
      }
    });
    index.close();
  }
  for (const entry of readDirOrEmpty(ctx.layout.tmp)) if (entry.isFile) tmpFiles++;
  return {
    ok: problems.length === 0,
    objects: ids.length,
    bytes,
    byKind,
    refs: refs.length,
    reflogEntries,
    expiredReflogEntries,
    indexEntries,
    tmpFiles,
    problems,
  };
};

// Whether `value` is "<id>" or starts "<id> ".
const startsWithId = (value: string, id: ObjectId): boolean =>
  (value.length === 64 || (value.length > 64 && value.charCodeAt(64) === 32)) &&
  value.startsWith(id);

// The object id a value starts with ("<id>" or "<id> <more>"), if it starts with one.
const leadingId = (value: string): ObjectId | undefined => {
  if (value.length < 64 || (value.length > 64 && value.charCodeAt(64) !== 32)) return undefined;
  const id = value.length === 64 ? value : value.slice(0, 64);
  return isObjectId(id) ? id : undefined;
};
