/**
 * The CLI's start-up cache: `cli/main.ts` bundled by `deno bundle` into
 * `.cli-bundle/<fingerprint>/`, where the fingerprint covers every source file
 * the CLI can load (path, size, mtime), deno.json, deno.lock and the Deno
 * version. A changed source gives a new fingerprint and so a new bundle; a bundle
 * is never edited in place.
 *
 * Why bundle: Deno loads the ~280 ES modules of the CLI and effect one by one,
 * which costs ~0.3 s before the first line runs; one bundle of a few chunks
 * costs ~0.08 s. This file imports nothing so that the launcher stays cheap.
 *
 * @module
 */

/** The directories (relative to the project root) whose files the CLI may load. */
const SOURCE_DIRS = ["cli", "lib", "store"];
const SOURCE_FILES = ["deno.json", "deno.lock"];
/** Where bundles live, relative to the project root. */
export const BUNDLE_DIR = ".cli-bundle";
// An older bundle may still be in use by a running command that lazily imports
// its chunks; it is removed only once it has been unused this long.
const PRUNE_AFTER_MS = 60 * 60 * 1000;

const listSources = (root: string, dir: string, into: string[]): void => {
  for (const entry of Deno.readDirSync(`${root}/${dir}`)) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory) listSources(root, rel, into);
    else if (entry.isFile && entry.name.endsWith(".ts")) into.push(rel);
  }
};

// FNV-1a, two lanes: 64 bits are plenty to tell source states of one checkout apart.
const fnv = (text: string): string => {
  let a = 0x811c9dc5, b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
};

/** A name for the current state of the CLI's sources under `root`. */
export const sourceFingerprint = (root: string): string => {
  const files: string[] = [];
  for (const dir of SOURCE_DIRS) listSources(root, dir, files);
  files.sort();
  let text = `deno ${Deno.version.deno}\n`;
  for (const rel of [...SOURCE_FILES, ...files]) {
    try {
      const info = Deno.statSync(`${root}/${rel}`);
      text += `${rel}\0${info.size}\0${info.mtime?.getTime() ?? 0}\n`;
    } catch {
      text += `${rel}\0absent\n`;
    }
  }
  return fnv(text);
};

/** Removes other bundles that have not been used for an hour. */
const pruneOthers = (bundles: string, keep: string): void => {
  for (const entry of Deno.readDirSync(bundles)) {
    if (entry.name === keep) continue;
    const path = `${bundles}/${entry.name}`;
    try {
      const mtime = Deno.statSync(path).mtime?.getTime() ?? 0;
      if (Date.now() - mtime > PRUNE_AFTER_MS) Deno.removeSync(path, { recursive: true });
    } catch {
      // Another launcher pruned it first.
    }
  }
};

/**
 * The path of an up-to-date bundle of `cli/main.ts`, building it first when the
 * sources changed; `undefined` when it cannot be built (a read-only checkout, a
 * bundler failure), in which case the caller runs the sources directly.
 */
export const ensureBundle = (root: string): string | undefined => {
  const bundles = `${root}/${BUNDLE_DIR}`;
  const fingerprint = sourceFingerprint(root);
  const main = `${bundles}/${fingerprint}/main.js`;
  try {
    // Marks the bundle as in use, so that pruning leaves it alone.
    const now = new Date();
    Deno.utimeSync(`${bundles}/${fingerprint}`, now, now);
    return main;
  } catch {
    // Not built yet for these sources.
  }
  const staging = `${bundles}/.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    Deno.mkdirSync(bundles, { recursive: true });
    const built = new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--code-splitting", "--platform=deno", "--outdir", staging, "cli/main.ts"],
      cwd: root,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).outputSync();
    if (!built.success) return undefined;
    try {
      Deno.renameSync(staging, `${bundles}/${fingerprint}`);
    } catch {
      // A concurrent launcher renamed an identical bundle into place first.
    }
    pruneOthers(bundles, fingerprint);
    return Deno.statSync(main).isFile ? main : undefined;
  } catch {
    return undefined;
  } finally {
    try {
      Deno.removeSync(staging, { recursive: true });
    } catch {
      // Renamed into place, or never created.
    }
  }
};
