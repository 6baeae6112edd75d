/**
 * The on-disk layout of a store and how one is opened.
 *
 * ```
 * <root>/
 *   format              "cairn-store 1" — checked on open
 *   objects/<2>/<62>    immutable objects, payload only, mode 0444
 *   refs/<name>         one object id per ref
 *   logs/<name>         the ref's reflog, one line per update
 *   index/<name>.log    append-only key → value indexes (cache keys, stat cache, ...)
 *   tmp/                scratch files, renamed into place when complete
 *   tmp/sessions/       one file per writing process: its start time and temporary roots
 *   gc.lock             writers hold it shared for a few syscalls; gc holds it exclusive
 *   cuts                links a retention policy cut on purpose ("<from> <to>" lines)
 *   quarantine/         damaged objects set aside by the read that found them
 *   leases/<name>       which live process is computing a key (single-flight)
 * ```
 *
 * @module
 */
import { storeError, UnsupportedStore } from "./errors.ts";
import { isAlreadyExists, isNotFound, uniqueName } from "./_fs.ts";

/** The format-version line this code reads and writes. */
export const FORMAT_LINE = "cairn-store 1";

/** Absolute paths of a store's parts. */
export interface StoreLayout {
  /** The store's root directory. */
  readonly root: string;
  /** `objects/`. */
  readonly objects: string;
  /** `refs/`. */
  readonly refs: string;
  /** `logs/` (reflogs). */
  readonly logs: string;
  /** `index/`. */
  readonly index: string;
  /** `tmp/`. */
  readonly tmp: string;
  /** `tmp/sessions/`. */
  readonly sessions: string;
  /** `gc.lock`. */
  readonly gcLock: string;
  /** Links gc cut on purpose (a history shortened by a retention policy): `<from> <to>` lines. */
  readonly cuts: string;
  /** Damaged objects, set aside: `<id>-<unique>`. */
  readonly quarantine: string;
  /** Leases held by processes computing something (`leases/<name>`). */
  readonly leases: string;
  /** `format`. */
  readonly format: string;
}

/** The layout of the store at `root` (no I/O). */
export const layoutOf = (root: string): StoreLayout => ({
  root,
  objects: `${root}/objects`,
  refs: `${root}/refs`,
  logs: `${root}/logs`,
  index: `${root}/index`,
  tmp: `${root}/tmp`,
  sessions: `${root}/tmp/sessions`,
  gcLock: `${root}/gc.lock`,
  cuts: `${root}/cuts`,
  quarantine: `${root}/quarantine`,
  leases: `${root}/leases`,
  format: `${root}/format`,
});

/** The path of object `id`. */
export const objectPath = (layout: StoreLayout, id: string): string =>
  `${layout.objects}/${id.slice(0, 2)}/${id.slice(2)}`;

const readFormat = (layout: StoreLayout): string | undefined => {
  try {
    return Deno.readTextFileSync(layout.format).trim();
  } catch (e) {
    // NotADirectory: the root is a file; the caller reports that clearly.
    if (isNotFound(e) || e instanceof Deno.errors.NotADirectory) return undefined;
    if (e instanceof Deno.errors.IsADirectory) {
      throw storeError(
        new UnsupportedStore({
          root: layout.root,
          detail:
            `its "format" is a directory, so it is not a cairn store; choose another store path`,
        }),
      );
    }
    throw e;
  }
};

const isEmptyDir = (path: string): boolean => {
  for (const _ of Deno.readDirSync(path)) return false;
  return true;
};

const initialise = (layout: StoreLayout): void => {
  for (const dir of [layout.objects, layout.refs, layout.logs, layout.index, layout.sessions]) {
    Deno.mkdirSync(dir, { recursive: true });
  }
  // The format file goes last and by rename: a half-initialised store has none,
  // and a concurrent opener that wins the race wrote the same line.
  const tmp = `${layout.tmp}/${uniqueName("format")}`;
  Deno.writeTextFileSync(tmp, `${FORMAT_LINE}\n`);
  Deno.renameSync(tmp, layout.format);
};

/**
 * Opens the store at `root`, creating it when `create` is set and the directory is
 * missing or empty. Throws a `StoreError` (`UnsupportedStore`) for a directory that
 * holds something else or a store of another format version.
 */
export const openLayout = (root: string, create: boolean): StoreLayout => {
  const layout = layoutOf(root);
  const format = readFormat(layout);
  if (format === FORMAT_LINE) return checkNoLinks(layout);
  if (format !== undefined) {
    throw storeError(
      new UnsupportedStore({
        root,
        detail:
          `its format is "${format}" but this cairn reads "${FORMAT_LINE}"; use the cairn version that wrote it`,
      }),
    );
  }
  let exists = true;
  try {
    if (!Deno.statSync(root).isDirectory) {
      throw storeError(new UnsupportedStore({ root, detail: "it is a file, not a directory" }));
    }
  } catch (e) {
    if (!isNotFound(e)) throw e;
    exists = false;
  }
  if (!create) {
    throw storeError(
      new UnsupportedStore({
        root,
        detail: exists
          ? "it is not a cairn store (no format file)"
          : "no store there; run a pipeline first or pass the right --store",
      }),
    );
  }
  if (exists && !isEmptyDir(root) && !isCairnLeftover(layout)) {
    // Another process may have finished creating the store since we read the
    // format file: its "format" is then what made the directory look foreign.
    if (readFormat(layout) === FORMAT_LINE) return layout;
    throw storeError(
      new UnsupportedStore({
        root,
        detail: "the directory is not empty and is not a cairn store; choose another store path",
      }),
    );
  }
  try {
    initialise(layout);
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
  return layout;
};

// A store whose initialisation was interrupted has some of our directories but no
// format file; finishing the job is safe because nothing else lives there.
const isCairnLeftover = (layout: StoreLayout): boolean => {
  const ours = new Set([
    "objects",
    "refs",
    "logs",
    "index",
    "tmp",
    "gc.lock",
    "cuts",
    "quarantine",
  ]);
  for (const entry of Deno.readDirSync(layout.root)) if (!ours.has(entry.name)) return false;
  return true;
};

// A part of the store that is a symbolic link would have writes land outside the
// root (a linked tmp/ receives every object before its rename). A few lstat calls
// per open; a missing part is created later as a real directory.
const checkNoLinks = (layout: StoreLayout): StoreLayout => {
  const parts: [string, string][] = [
    ["objects", layout.objects],
    ["refs", layout.refs],
    ["logs", layout.logs],
    ["index", layout.index],
    ["tmp", layout.tmp],
    ["tmp/sessions", layout.sessions],
    ["quarantine", layout.quarantine],
  ];
  for (const [name, path] of parts) {
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(path);
    } catch (e) {
      if (isNotFound(e)) continue;
      throw e;
    }
    if (info.isSymlink) {
      throw storeError(
        new UnsupportedStore({
          root: layout.root,
          detail:
            `its "${name}" is a symbolic link, and a store keeps every part inside its root; replace the link with the directory it points to`,
        }),
      );
    }
  }
  return layout;
};
