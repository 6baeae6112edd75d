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
 * (0555), whose entries then cannot be removed by a non-root user: such directories
 * are made writable on the way down and the removal is tried again.
 */
export const removeScratch = (scratch: Scratch): void => {
  if (!scratch.made()) return;
  try {
    Deno.removeSync(scratch.dir, { recursive: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.PermissionDenied)) throw e;
    makeWritable(scratch.dir);
    Deno.removeSync(scratch.dir, { recursive: true });
  }
};

const makeWritable = (dir: string): void => {
  const info = Deno.lstatSync(dir);
  if (!info.isDirectory) return;
  Deno.chmodSync(dir, ((info.mode ?? 0o755) & 0o777) | 0o700);
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.isDirectory) makeWritable(`${dir}/${entry.name}`);
  }
};
