// gc's sweep of tmp/.
import type { StoreContext } from "./objects.ts";
import { removeTree } from "./remove_tree.ts";
import { lstatOrUndefined, readDirOrEmpty, timeMs } from "./_fs.ts";

// Old temp files, and old scratch directories: a pipeline's step directory, left
// with its half-written outputs by a killed process. The cutoff spares those of
// live processes: a pipeline starts its session before it makes a scratch
// directory. An entry may vanish while it is looked at (a ref update renames its
// temp file into place); a read-only directory inside is made removable.
export const sweepTmp = (ctx: StoreContext, cutoff: number, dryRun: boolean): number => {
  let removed = 0;
  for (const entry of readDirOrEmpty(ctx.layout.tmp)) {
    const path = `${ctx.layout.tmp}/${entry.name}`;
    if (!entry.isFile && !(entry.isDirectory && path !== ctx.layout.sessions)) continue;
    const info = lstatOrUndefined(path);
    if (!info || timeMs(info.mtime) >= cutoff) continue;
    if (!dryRun) removeTree(path);
    removed++;
  }
  return removed;
};
