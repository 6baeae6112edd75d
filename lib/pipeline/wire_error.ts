/**
 * A {@linkcode PipelineError} across a process boundary: an executor that runs a step
 * in another process (a worker, a cluster runner) sends the error back as plain data
 * and the invoking process rebuilds the same typed error — the same reason class
 * with the same fields, a store reason inside it, and the step's own exception as an
 * `Error` with its name, message and stack from where it was thrown.
 *
 * @module
 */
import * as Data from "effect/Data";
import * as StoreErrors from "../../store/errors.ts";
import * as PipelineErrors from "./errors.ts";

/** A value of an error's field, as it travels. */
export type WireValue =
  | null
  | boolean
  | number
  | string
  | readonly WireValue[]
  | { readonly [key: string]: WireValue };

/** A typed error as it travels: its tag and fields (nested errors encoded alike). */
export interface WireError {
  readonly tag: string;
  readonly fields: { readonly [key: string]: WireValue };
}

// Every error class a PipelineError can carry, by tag: the pipeline's reasons, the
// store's error and its reasons.
const CLASSES = new Map<string, new (fields: never) => Error>(
  [...Object.values(PipelineErrors), ...Object.values(StoreErrors)].flatMap((value) => {
    if (typeof value !== "function" || !(value.prototype instanceof Error)) return [];
    const tag = (new (value as new (f: object) => { _tag?: unknown })({}))._tag;
    return typeof tag === "string" ? [[tag, value as new (fields: never) => Error]] : [];
  }),
);

const isTagged = (value: unknown): value is Error & { readonly _tag: string } => {
  if (!(value instanceof Error)) return false;
  const tag: unknown = (value as unknown as { readonly _tag?: unknown })._tag;
  return typeof tag === "string" && CLASSES.has(tag);
};

const encodeValue = (value: unknown, depth: number): WireValue => {
  if (depth > 20) return "[nested too deeply]";
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (isTagged(value)) return { $error: encodeTagged(value, depth + 1) as unknown as WireValue };
  if (value instanceof Error) {
    return {
      $exception: {
        name: value.name,
        message: value.message,
        stack: value.stack ?? null,
        ...(value.cause === undefined ? {} : { cause: encodeValue(value.cause, depth + 1) }),
      },
    };
  }
  if (Array.isArray(value)) return value.map((v) => encodeValue(v, depth + 1));
  if (typeof value === "object") {
    return {
      $object: Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, encodeValue(v, depth + 1)]),
      ),
    };
  }
  return String(value);
};

// A tagged error's fields: its enumerable own properties, and `cause`, which the Error
// constructor keeps as a non-enumerable one.
const fieldsOf = (error: Error): string[] => [
  ...Object.keys(error).filter((k) => k !== "_tag"),
  ...(Object.hasOwn(error, "cause") ? ["cause"] : []),
];

const encodeTagged = (error: Error & { readonly _tag: string }, depth: number): WireError => ({
  tag: error._tag,
  fields: Object.fromEntries(
    fieldsOf(error).map((
      k,
    ) => [k, encodeValue((error as unknown as Record<string, unknown>)[k], depth)]),
  ),
});

/** A pipeline error as plain data (JSON-safe). */
export const encodePipelineError = (error: PipelineErrors.PipelineError): WireError =>
  encodeTagged(error, 0);

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const decodeValue = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(decodeValue);
  if (!isRecord(value)) return value;
  if (isRecord(value.$error)) return decodeTagged(value.$error);
  if (isRecord(value.$exception)) {
    const { name, message, stack, cause } = value.$exception;
    const error = new Error(
      String(message),
      cause === undefined ? {} : { cause: decodeValue(cause) },
    );
    error.name = String(name);
    if (typeof stack === "string") error.stack = stack;
    return error;
  }
  if (isRecord(value.$object)) {
    return Object.fromEntries(Object.entries(value.$object).map(([k, v]) => [k, decodeValue(v)]));
  }
  return value;
};

class UnknownError extends Data.TaggedError("UnknownError")<{ readonly message: string }> {}

const decodeTagged = (wire: Record<string, unknown>): Error => {
  const tag = String(wire.tag);
  const fields = isRecord(wire.fields) ? wire.fields : {};
  const decoded = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, decodeValue(v)]));
  const Class = CLASSES.get(tag);
  return Class
    ? new Class(decoded as never)
    : new UnknownError({ message: `${tag} ${JSON.stringify(fields)}` });
};

/**
 * The pipeline error `wire` describes. Anything that is not one (another version's
 * error, a damaged message) becomes a `StepFailed` of `step` saying what arrived.
 */
export const decodePipelineError = (
  wire: unknown,
  step: string,
  iteration: number | null,
): PipelineErrors.PipelineError => {
  const error = isRecord(wire) ? decodeTagged(wire) : undefined;
  if (error instanceof PipelineErrors.PipelineError) return error;
  return PipelineErrors.pipelineError(
    new PipelineErrors.StepFailed({
      step,
      iteration,
      cause: new Error(
        `the executor sent an error that is not a pipeline error: ${JSON.stringify(wire)}`,
      ),
    }),
  );
};
