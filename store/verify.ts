/**
 * Verifying an object with everything under it: a blob is re-hashed (streamed), a
 * tree is re-hashed and so is every member, recursively. Every damaged object found
 * is set aside by the read that finds it (see `quarantine.ts`), so one pass repairs
 * the way for a re-run; the walk goes on after a damaged member to find the others.
 * An intact blob that was made writable (through a hard link) is made read-only again.
 *
 * @module
 */
import { StoreError } from "./errors.ts";
import type { ObjectId, ObjectKind } from "./object_id.ts";
import { readVerified, type StoreContext, streamBlob } from "./objects.ts";
import { decodeTree } from "./tree_decoder.ts";
import { objectPath } from "./layout.ts";
import { lstatOrUndefined } from "./_fs.ts";

// An intact object made writable (chmod through a hard link) is made read-only again.
const keepReadOnly = (ctx: StoreContext, id: ObjectId): void => {
  const path = objectPath(ctx.layout, id);
  const mode = lstatOrUndefined(path)?.mode ?? 0o444;
  if ((mode & 0o222) !== 0) Deno.chmodSync(path, 0o444);
};

/** True when `id` (of `kind`) and, for a tree, every member are present and intact. */
export const verifyClosure = (ctx: StoreContext, id: ObjectId, kind: ObjectKind): boolean => {
  const pending: [ObjectId, ObjectKind][] = [[id, kind]];
  const seen = new Set<ObjectId>();
  let intact = true;
  while (pending.length > 0) {
    const [next, nextKind] = pending.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    try {
      if (nextKind === "blob") {
        streamBlob(ctx, next, () => {});
        keepReadOnly(ctx, next);
      } else if (nextKind === "tree") {
        for (const entry of decodeTree(readVerified(ctx, next, "tree"), next)) {
          pending.push([entry.id, entry.mode === "directory" ? "tree" : "blob"]);
        }
      } else {
        readVerified(ctx, next, "record");
      }
    } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      const reason = e.reason._tag;
      if (
        reason !== "IntegrityMismatch" && reason !== "ObjectNotFound" && reason !== "InvalidObject"
      ) {
        throw e;
      }
      intact = false;
    }
  }
  return intact;
};
