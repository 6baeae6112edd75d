import { removeTree } from "../../store/remove_tree.ts";

// A step's scratch directory (`in/` for materialized inputs, `out/` for `ctx.outDir`),
// made on first use: a step with value inputs and outputs that never reads
// `ctx.outDir` needs none, and where mkdir and rmdir are slow they cost more than the
// rest of a miss.

/** A scratch directory under the store's `tmp/`. */
export interface Scratch {
  readonly dir: string;
  /** Makes the directory if it is not yet made; returns its path. */
  readonly make: () => string;
  readonly made: () => boolean;
}

let counter = 0;

/** A scratch directory for one step run (not yet made). */
export const makeScratch = (root: string): Scratch => {
  const dir = `${root}/tmp/run-${Deno.pid}-${Date.now().toString(36)}-${counter++}`;
  let made = false;
  return {
    dir,
    make: () => {
      if (!made) {
        Deno.mkdirSync(`${dir}/in`, { recursive: true });
        Deno.mkdirSync(`${dir}/out`);
        made = true;
      }
      return dir;
    },
    made: () => made,
  };
};

/**
 * Removes a scratch directory. A step may leave a directory it made read-only
 * (0555), whose entries then cannot be removed by a non-root user: `removeTree`
 * makes such directories writable on the way down.
 */
export const removeScratch = (scratch: Scratch): void => {
  if (scratch.made()) removeTree(scratch.dir);
};
