// Reading an object's kind and outgoing edges, shared by gc and fsck.
import { decodeRecord } from "./record.ts";
import { RecordScanner } from "./record_scanner.ts";
import { TreeDecoder } from "./tree_decoder.ts";
import { objectPath } from "./layout.ts";
import { candidateKinds, CHUNK, type StoreContext } from "./objects.ts";
import { createObjectHasher, type ObjectId, type ObjectKind } from "./object_id.ts";
import { isNotFound } from "./_fs.ts";
import { isRacy, type ObjectFacts, statOf } from "./object_facts.ts";

/** What a walk learns of one object. */
export type Visited =
  | { readonly status: "missing" }
  | { readonly status: "corrupt"; readonly detail: string; readonly size: number }
  | {
    readonly status: "ok";
    readonly kind: ObjectKind;
    /** Every object it names, each once. */
    readonly links: readonly ObjectId[];
    readonly size: number;
    /** A record's `type`. */
    readonly type?: string;
    /** The file's status when it was read (absent: the object was not read, see `fromFact`). */
    readonly info?: Deno.FileInfo;
  };

// One read buffer shared by every visit: allocating (and zero-filling) a fresh
// 1 MiB buffer per visited object made each gc and fsck pay a 1 MiB memset per
// record or tree, ~0.3 ms each. `visit` is synchronous and never re-entered, so
// sharing is safe.
let chunkBuffer: Uint8Array | undefined;

// Checks the structure of a tree or record fed in chunks, for a kind the bytes may
// turn out to be (the hash decides at the end). An object that fits one chunk is
// decoded in one piece; a larger one is streamed, so memory stays bounded by a chunk
// and the distinct links, whatever the object's size.
interface Structure {
  feed(bytes: Uint8Array): void;
  /** The links and type, or the reason the bytes are not of the kind. */
  finish(): { links: Set<ObjectId>; type?: string } | { problem: string };
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

const structureOf = (kind: ObjectKind, id: ObjectId, size: number): Structure => {
  const links = new Set<ObjectId>();
  let problem: string | undefined;
  if (kind === "tree") {
    const decoder = new TreeDecoder(id, { onLink: (link) => links.add(link) });
    return {
      feed: (bytes) => {
        if (problem !== undefined) return;
        try {
          decoder.push(bytes);
        } catch (e) {
          problem = message(e);
        }
      },
      finish: () => {
        if (problem === undefined) {
          try {
            decoder.end();
          } catch (e) {
            problem = message(e);
          }
        }
        return problem === undefined ? { links } : { problem };
      },
    };
  }
  if (size <= CHUNK) {
    // Small: collect the bytes and let JSON.parse (native, fast) decide.
    const whole = new Uint8Array(size);
    let at = 0;
    return {
      feed: (bytes) => {
        if (at + bytes.length <= size) whole.set(bytes, at);
        at += bytes.length;
      },
      finish: () => {
        try {
          const record = decodeRecord(whole, id);
          for (const link of record.links ?? []) links.add(link);
          return { links, type: record.type };
        } catch (e) {
          return { problem: message(e) };
        }
      },
    };
  }
  const scanner = new RecordScanner(id);
  return {
    feed: (bytes) => {
      if (problem !== undefined) return;
      try {
        scanner.push(bytes);
      } catch (e) {
        problem = message(e);
      }
    },
    finish: () => {
      if (problem !== undefined) return { problem };
      try {
        const { type, links: named } = scanner.end();
        for (const link of named) links.add(link);
        return { links, type };
      } catch (e) {
        return { problem: message(e) };
      }
    },
  };
};

// Up to this size, an object whose first bytes fit only a blob is hashed anyway: a
// record damaged into such bytes (zeroed, truncated, overwritten) would otherwise pass
// for a blob that names nothing — and gc would sweep what it names. Records are small;
// the blobs it spares hashing are the large ones.
const HASHED_ANYWAY = 64 << 10;

/**
 * Identifies `id` and lists its edges, reading it in chunks (any size). With
 * `verifyBlobs` false, an object over 64 KiB whose first bytes fit only a blob is
 * taken as a blob without hashing (gc's fast path); a smaller one is hashed.
 */
export const visit = (ctx: StoreContext, id: ObjectId, verifyBlobs: boolean): Visited => {
  const path = objectPath(ctx.layout, id);
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (e) {
    if (isNotFound(e)) return { status: "missing" };
    throw e;
  }
  try {
    const info = file.statSync();
    const size = info.size;
    // The first bytes tell which kinds an object can be; a blob-only one needs no more.
    const head = new Uint8Array(Math.min(size, 64));
    let n = 0;
    while (n < head.length) {
      const got = file.readSync(head.subarray(n));
      if (got === null) break;
      n += got;
    }
    const kinds = candidateKinds(head.subarray(0, n));
    if (kinds.length === 1 && !verifyBlobs && size > HASHED_ANYWAY) {
      return { status: "ok", kind: "blob", links: [], size, info };
    }
    const structured = kinds.find((k) => k !== "blob");
    const structure = structured ? structureOf(structured, id, size) : undefined;
    const hashers = kinds.map((kind) => createObjectHasher(kind, size));
    for (const h of hashers) h.update(head.subarray(0, n));
    structure?.feed(head.subarray(0, n));
    let offset = n;
    const buf = (chunkBuffer ??= new Uint8Array(CHUNK));
    for (;;) {
      const got = file.readSync(buf);
      if (got === null) break;
      if (offset + got > size) {
        return { status: "corrupt", detail: "the file grew while it was read", size };
      }
      const chunk = buf.subarray(0, got);
      for (const h of hashers) h.update(chunk);
      structure?.feed(chunk);
      offset += got;
    }
    const digests = hashers.map((h) => h.digest("hex"));
    const kind = kinds[digests.indexOf(id)];
    if (offset !== size || kind === undefined) {
      return { status: "corrupt", detail: `bytes hash to ${digests[0]} as a blob`, size };
    }
    if (kind === "blob" || !structure) return { status: "ok", kind, links: [], size, info };
    const found = structure.finish();
    if ("problem" in found) return { status: "corrupt", detail: found.problem, size };
    return {
      status: "ok",
      kind,
      links: [...found.links],
      size,
      info,
      ...(found.type !== undefined ? { type: found.type } : {}),
    };
  } finally {
    file.close();
  }
};

/**
 * What `facts` knew of `id` while its file (status `info`) is unchanged: the visit
 * without the read. Undefined when nothing is known or the file changed since (that
 * fact is dropped).
 */
export const fromFact = (
  facts: ObjectFacts | undefined,
  id: ObjectId,
  info: Deno.FileInfo,
  root = false,
): Visited | undefined => {
  const fact = facts?.get(id);
  // A root (what refs name) is never taken for a blob on a fact's word: a damaged record
  // learned as one would name nothing (see `visit`), so it is read.
  if (!fact || (root && fact.kind === "blob")) return undefined;
  if (fact.stat !== statOf(info)) {
    facts!.forget(id);
    return undefined;
  }
  return {
    status: "ok",
    kind: fact.kind,
    links: fact.links,
    size: fact.size,
    ...(fact.type !== undefined ? { type: fact.type } : {}),
  };
};

/** Hands `facts` what a visit read of `id`, unless its file changed within the racy window of `now`. */
export const learnFrom = (
  facts: ObjectFacts | undefined,
  id: ObjectId,
  seen: Visited,
  now: number,
): void => {
  if (!facts || seen.status !== "ok" || !seen.info || isRacy(seen.info, now)) return;
  facts.learn(id, {
    kind: seen.kind,
    size: seen.size,
    links: seen.links,
    stat: statOf(seen.info),
    ...(seen.type !== undefined ? { type: seen.type } : {}),
  });
};

/** Every object id present in the store, and names in `objects/` that are not ids. */
export const listObjects = (ctx: StoreContext): { ids: string[]; strays: string[] } => {
  const ids: string[] = [];
  const strays: string[] = [];
  for (const dir of Deno.readDirSync(ctx.layout.objects)) {
    if (!dir.isDirectory || !/^[0-9a-f]{2}$/.test(dir.name)) {
      strays.push(dir.name);
      continue;
    }
    for (const entry of Deno.readDirSync(`${ctx.layout.objects}/${dir.name}`)) {
      if (entry.isFile && /^[0-9a-f]{62}$/.test(entry.name)) ids.push(dir.name + entry.name);
      else strays.push(`${dir.name}/${entry.name}`);
    }
  }
  return { ids, strays };
};

/**
 * A memoised check that an object and everything it links to, recursively, are
 * present and readable (blobs are not re-hashed): what an index entry needs before
 * it may name the object. Iterative, so a lineage thousands of runs deep is fine.
 */
export const closureChecker = (ctx: StoreContext): (id: ObjectId) => boolean => {
  const complete = new Map<ObjectId, boolean>();
  return (root) => {
    const stack: [ObjectId, readonly ObjectId[] | undefined][] = [[root, undefined]];
    while (stack.length > 0) {
      const [id, links] = stack.pop()!;
      if (complete.has(id)) continue;
      if (links === undefined) {
        const seen = visit(ctx, id, false);
        if (seen.status !== "ok") {
          complete.set(id, false);
          continue;
        }
        // Decided once its links are: revisit it after them.
        stack.push([id, seen.links]);
        for (const link of seen.links) if (!complete.has(link)) stack.push([link, undefined]);
      } else complete.set(id, links.every((link) => complete.get(link) === true));
    }
    return complete.get(root)!;
  };
};
