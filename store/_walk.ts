// Reading an object's kind and outgoing edges, shared by gc and fsck.
import { decodeRecord } from "./record.ts";
import { decodeTree } from "./tree.ts";
import { objectPath } from "./layout.ts";
import { candidateKinds, CHUNK, type StoreContext } from "./objects.ts";
import { createObjectHasher, type ObjectId, type ObjectKind } from "./object_id.ts";
import { isNotFound } from "./_fs.ts";

/** What a walk learns of one object. */
export type Visited =
  | { readonly status: "missing" }
  | { readonly status: "corrupt"; readonly detail: string; readonly size: number }
  | {
    readonly status: "ok";
    readonly kind: ObjectKind;
    readonly links: readonly ObjectId[];
    readonly size: number;
  };

// Objects this large are hashed in chunks; smaller ones are read whole.
const WHOLE_LIMIT = 64 << 20;

// One read buffer shared by every visit: allocating (and zero-filling) a fresh
// 1 MiB buffer per visited object made each gc and fsck pay a 1 MiB memset per
// record or tree, ~0.3 ms each. `visit` is synchronous and never re-entered, so
// sharing is safe.
let chunkBuffer: Uint8Array | undefined;

/**
 * Identifies `id` and lists its edges. With `verifyBlobs` false, an object whose
 * first bytes fit only a blob is taken as a blob without hashing (gc's fast path).
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
    const size = file.statSync().size;
    // The first bytes tell which kinds an object can be; a blob-only one needs no more.
    const head = new Uint8Array(Math.min(size, 64));
    let n = 0;
    while (n < head.length) {
      const got = file.readSync(head.subarray(n));
      if (got === null) break;
      n += got;
    }
    const kinds = candidateKinds(head.subarray(0, n));
    if (kinds.length === 1 && !verifyBlobs) return { status: "ok", kind: "blob", links: [], size };
    const structured = kinds.length > 1 && size <= WHOLE_LIMIT;
    const whole = structured ? new Uint8Array(size) : undefined;
    whole?.set(head.subarray(0, n));
    const hashers = kinds.map((kind) => createObjectHasher(kind, size));
    for (const h of hashers) h.update(head.subarray(0, n));
    let offset = n;
    const buf = (chunkBuffer ??= new Uint8Array(CHUNK));
    for (;;) {
      const got = file.readSync(buf);
      if (got === null) break;
      if (offset + got > size) {
        return { status: "corrupt", detail: "the file grew while it was read", size };
      }
      for (const h of hashers) h.update(buf.subarray(0, got));
      whole?.set(buf.subarray(0, got), offset);
      offset += got;
    }
    const digests = hashers.map((h) => h.digest("hex"));
    const kind = kinds[digests.indexOf(id)];
    if (offset !== size || kind === undefined) {
      return { status: "corrupt", detail: `bytes hash to ${digests[0]} as a blob`, size };
    }
    if (kind === "blob") return { status: "ok", kind, links: [], size };
    if (!whole) {
      return { status: "corrupt", detail: `a ${kind} larger than ${WHOLE_LIMIT} bytes`, size };
    }
    try {
      const links = kind === "tree"
        ? decodeTree(whole, id).map((e) => e.id)
        : [...(decodeRecord(whole, id).links ?? [])];
      return { status: "ok", kind, links, size };
    } catch (e) {
      return { status: "corrupt", detail: e instanceof Error ? e.message : String(e), size };
    }
  } finally {
    file.close();
  }
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
