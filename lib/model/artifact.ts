/**
 * Artifact handles: what steps take and return. A handle names an object in the
 * store and how to read it; it carries no data, so passing handles between steps
 * copies nothing.
 *
 * @module
 */
import type { ObjectId } from "../../store/object_id.ts";

/** A handle on a stored artifact. `T` is the value `run` sees when it is an input. */
export interface Artifact<T = unknown> {
  /** Object id of the content: a blob, or a tree for directories. */
  readonly id: ObjectId;
  /** A blob (a file or a value) or a tree (a directory). */
  readonly kind: "blob" | "tree";
  /** Codec name: `table`, `table-csv`, `json`, `text`, `file`, `dir`. */
  readonly codec: string;
  /** Bytes (of all files, for a tree). */
  readonly size: number;
  /** Output name, or the file name of an external input. */
  readonly name: string;
  /** The run record that produced it; null for an external input. */
  readonly producer: ObjectId | null;
  /** Phantom: the decoded value type. */
  readonly __value?: T;
}

/** How an artifact is written in records and index entries. */
export interface ArtifactRef {
  /** Object id of the content. */
  readonly id: ObjectId;
  /** A blob or a tree. */
  readonly kind: "blob" | "tree";
  /** Codec name (`table`, `json`, `dir`, …). */
  readonly codec: string;
  /** Bytes (of all files, for a tree). */
  readonly size: number;
}

/** The record form of a handle. */
export const refOf = (a: Artifact): ArtifactRef => ({
  id: a.id,
  kind: a.kind,
  codec: a.codec,
  size: a.size,
});
