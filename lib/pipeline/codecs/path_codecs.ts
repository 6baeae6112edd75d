/**
 * The path codecs: `File` (a blob written or read as a file) and `Dir` (a tree,
 * e.g. a zarr store, written or read as a directory).
 *
 * @module
 */
import type { PathCodec } from "./codec.ts";

/**
 * A file on disk. Outputs: write `ctx.outDir/<name>` (or return a path inside
 * `ctx.outDir`). Inputs: `run` receives a path to a read-only copy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict"
 * import { File } from "cairn"
 *
 * assert.equal(File.kind, "blob") // a step's File input is a path to a copy of the blob
 * ```
 */
export const File: PathCodec = { _tag: "path", name: "file", kind: "blob" };

/**
 * A directory on disk, stored as a tree (zarr stores, image folders, ...).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict"
 * import { Dir } from "cairn"
 *
 * assert.equal(Dir.kind, "tree") // a step's Dir input is a path to a copy of the tree
 * ```
 */
export const Dir: PathCodec = { _tag: "path", name: "dir", kind: "tree" };

/**
 * `File` or `Dir` with the extension a `command` gives it in its work directory
 * (`out/report.html`, `in/skims.zarr`); the codec is otherwise the same.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict"
 * import { File, withExtension } from "cairn"
 *
 * const Html = withExtension(File, ".html") // a command's output `report` is out/report.html
 * assert.equal(Html.extension, ".html")
 * assert.equal(Html.kind, "blob")
 * ```
 */
export const withExtension = (codec: PathCodec, extension: string): PathCodec => {
  if (!/^\.[A-Za-z0-9_.\-]+$/.test(extension)) {
    throw new Error(
      `Cannot use extension "${extension}": write a dot and letters, digits, _ - or . (".html")`,
    );
  }
  return { ...codec, extension };
};
