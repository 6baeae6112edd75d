/**
 * Staging directories: where a materialize builds its result beside the
 * destination before renaming it into place. One is named for its process —
 * `.cairn-materialize-<host>-<pid>-<tag>-<n>` — so that the next materialize into
 * the same directory can remove those a killed process left (they are outside the
 * store, where gc does not look), and leave those of live processes alone.
 *
 * @module
 */
import { hostname } from "node:os";
import { removeTree } from "./remove_tree.ts";
import { processIsAlive, readDirOrEmpty, uniqueName } from "./_fs.ts";

const PREFIX = ".cairn-materialize-";

/** A fresh staging path in directory `parent`. */
export const stagingPath = (parent: string): string =>
  `${parent}/${PREFIX}${hostname()}-${uniqueName("m")}`;

/**
 * Removes the staging directories in `parent` left by processes of this host that
 * no longer exist; returns how many.
 *
 * @example
 * ```ts
 * import { removeDeadStaging } from "./staging.ts"
 *
 * removeDeadStaging(Deno.makeTempDirSync()) // 0: nothing was left there
 * ```
 */
export const removeDeadStaging = (parent: string): number => {
  const host = hostname();
  let removed = 0;
  for (const entry of readDirOrEmpty(parent)) {
    if (!entry.name.startsWith(PREFIX)) continue;
    // <host>-m-<pid>-<tag>-<n>: the host may hold dashes, the rest cannot.
    const m = /^(.*)-m-(\d+)-[a-z0-9]+-[a-z0-9]+$/.exec(entry.name.slice(PREFIX.length));
    if (!m || m[1] !== host || processIsAlive(Number(m[2]))) continue;
    removeTree(`${parent}/${entry.name}`);
    removed++;
  }
  return removed;
};
