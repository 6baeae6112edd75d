/**
 * Removing a directory tree its owner may have made read-only. A step that writes
 * a `Dir` output with a 0555 subdirectory (or copies one in) leaves a scratch
 * directory whose entries no one but root can unlink; removing it would fail with
 * "Permission denied" for the user on every attempt. So directories are made
 * writable by their owner (u+rwx) on the way down, then removed.
 *
 * @module
 */
import { isNotFound } from "./_fs.ts";

// chmod u+rwx every directory under `dir` (never following a link), `dir` included.
const makeRemovable = (dir: string): void => {
  const stack = [dir];
  while (stack.length > 0) {
    const path = stack.pop()!;
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(path);
    } catch (e) {
      if (isNotFound(e)) continue;
      throw e;
    }
    if (!info.isDirectory) continue;
    if (((info.mode ?? 0o700) & 0o700) !== 0o700) Deno.chmodSync(path, (info.mode ?? 0) | 0o700);
    for (const entry of Deno.readDirSync(path)) {
      if (entry.isDirectory) stack.push(`${path}/${entry.name}`);
    }
  }
};

/**
 * Removes `path` (a file, or a directory and everything under it); a path already
 * gone is not an error. Read-only directories inside are made writable first.
 *
 * @example
 * ```ts
 * import { removeTree } from "./remove_tree.ts"
 *
 * const dir = Deno.makeTempDirSync()
 * Deno.mkdirSync(`${dir}/locked`)
 * Deno.writeTextFileSync(`${dir}/locked/f`, "x")
 * Deno.chmodSync(`${dir}/locked`, 0o555)
 * removeTree(dir) // gone, though "locked" was read-only
 * ```
 */
export const removeTree = (path: string): void => {
  try {
    Deno.removeSync(path, { recursive: true });
    return;
  } catch (e) {
    if (isNotFound(e)) return;
    if (!(e instanceof Deno.errors.PermissionDenied)) throw e;
  }
  makeRemovable(path);
  try {
    Deno.removeSync(path, { recursive: true });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
};
