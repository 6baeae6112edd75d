/**
 * How an object id is computed — the one place that says so.
 *
 * id = lowercase hex SHA-256 of `"<kind> <byteLength>\0" + payload`, Git's framing
 * with SHA-256. The kind is part of the hashed bytes, so the same payload stored
 * as a blob and as a record has two different ids.
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";

/** The three kinds of object. */
export type ObjectKind = "blob" | "tree" | "record";

/** A lowercase hex SHA-256 object id (64 characters). */
export type ObjectId = string;

/** All kinds, in the order {@linkcode identify}-style probes try them. */
export const OBJECT_KINDS: readonly ObjectKind[] = ["blob", "tree", "record"];

const encoder = new TextEncoder();

/** The framing header hashed before the payload: `"<kind> <length>\0"`. */
export const objectHeader = (kind: ObjectKind, byteLength: number): Uint8Array =>
  encoder.encode(`${kind} ${byteLength}\0`);

/**
 * Starts a streaming hash of an object whose payload length is known up front.
 * Feed the payload with `update`, then `digest("hex")` gives the id.
 */
export const createObjectHasher = (kind: ObjectKind, byteLength: number): Hash =>
  createHash("sha256").update(objectHeader(kind, byteLength));

/**
 * Computes the id of an object from its kind and payload.
 *
 * @example The empty blob
 * ```ts
 * import { hashObject } from "./object_id.ts"
 *
 * hashObject("blob", new Uint8Array()) // "473a0f4c3be8a93681a267e3b1e9a7dcda1185436fe141f7749120a303721813"
 * ```
 */
export const hashObject = (kind: ObjectKind, payload: Uint8Array): ObjectId =>
  createObjectHasher(kind, payload.byteLength).update(payload).digest("hex");

const ID_PATTERN = /^[0-9a-f]{64}$/;

/** True when `value` has the shape of an object id. */
export const isObjectId = (value: string): value is ObjectId => ID_PATTERN.test(value);
