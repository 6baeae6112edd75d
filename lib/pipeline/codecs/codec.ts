/**
 * Codecs: how a step's declared inputs and outputs become bytes in the store and
 * values (or paths) in a step's `run`.
 *
 * A *value* codec encodes what `run` returns into a blob and decodes a blob into
 * the value `run` receives. A *path* codec (`File`, `Dir`) hands `run` a path: the
 * step writes a file or directory under `ctx.outDir`, which is ingested as a blob
 * or a tree, and an input arrives materialized at a path.
 *
 * @module
 */

/** A codec that stores values as blobs. */
export interface ValueCodec<T> {
  /** A value codec: `run` sees a value. */
  readonly _tag: "value";
  /** Name recorded with each artifact (`table`, `table-csv`, `json`, `text`). */
  readonly name: string;
  /** The file name extension of its bytes (`.csv`): how a `command` names such a file. */
  readonly extension?: string;
  /** Encodes a value into the bytes stored. */
  readonly encode: (value: T) => Uint8Array | Promise<Uint8Array>;
  /** Decodes stored bytes into the value `run` sees. */
  readonly decode: (bytes: Uint8Array) => T | Promise<T>;
}

/** A codec whose artifacts are files (`kind: "blob"`) or directories (`kind: "tree"`) on disk. */
export interface PathCodec {
  /** A path codec: `run` sees a path. */
  readonly _tag: "path";
  /** `file` or `dir`. */
  readonly name: "file" | "dir";
  /** Stored as a blob (a file) or a tree (a directory). */
  readonly kind: "blob" | "tree";
  /** The extension a `command` gives such a file or directory (`.html`, `.zarr`), if declared. */
  readonly extension?: string;
}

/** Any codec. */
// deno-lint-ignore no-explicit-any
export type Codec<T = any> = ValueCodec<T> | PathCodec;

/** The value `run` sees for a codec: the decoded value, or a path. */
export type ValueOf<C> = C extends ValueCodec<infer T> ? T : C extends PathCodec ? string : never;

/** An input declared optional: absent in some invocations (e.g. iteration 0). */
export interface Optional<C extends Codec> {
  /** Marks an input that may be absent. */
  readonly _tag: "optional";
  /** The codec of the input when present. */
  readonly codec: C;
}

/**
 * Declares an input optional.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict"
 * import { optional, Table } from "cairn"
 *
 * const inputs = { trips: optional(Table), zones: Table }
 * assert.equal(inputs.trips._tag, "optional")
 * assert.equal(inputs.trips.codec, Table)
 * ```
 */
export const optional = <C extends Codec>(codec: C): Optional<C> => ({ _tag: "optional", codec });

/** A declared input: a codec, or an optional one. */
export type InputSpec = Codec | Optional<Codec>;

/** The codec of an input spec. */
export const codecOf = (spec: InputSpec): Codec => (spec._tag === "optional" ? spec.codec : spec);
