/**
 * Which codec reads an artifact given to an input: the declared codec's variant for the
 * artifact's encoding (a `Table` input reads a `table-csv` artifact as CSV and a `table`
 * one as Parquet; a `Table.of(schema)` input does the same and checks the rows), the declared one for bytes that entered untyped (`input.file`
 * with the default `File` codec), and none when they cannot agree (JSON given to a
 * `Table` input) — that fails when the step is invoked, naming both codecs, instead of
 * as a decode error deep in the run.
 *
 * @module
 */
import type { Codec, ValueCodec } from "./codec.ts";
import { Json } from "./json.ts";
import { Table } from "./table.ts";
import { Text } from "./text.ts";

/** The value codecs cairn ships, by the name artifacts record. */
export const BUILT_IN_CODECS: ReadonlyMap<string, ValueCodec<unknown>> = new Map<
  string,
  ValueCodec<unknown>
>([
  [Json.name, Json],
  [Text.name, Text as ValueCodec<unknown>],
  [Table.name, Table as ValueCodec<unknown>],
  [Table.csv.name, Table.csv as ValueCodec<unknown>],
]);

/** How an artifact of `codec`/`kind` is read by an input declared `declared`, or why it cannot be. */
export const readingCodec = (
  declared: Codec,
  artifact: { readonly codec: string; readonly kind: "blob" | "tree" },
): { readonly codec: Codec } | { readonly problem: string } => {
  if (declared._tag === "path") {
    return declared.kind === artifact.kind ? { codec: declared } : {
      problem: `it is a ${artifact.kind === "tree" ? "directory" : "file"} (${artifact.codec}), ` +
        `but the input is declared ${declared.name === "dir" ? "Dir" : "File"}`,
    };
  }
  if (artifact.kind !== "blob") {
    return {
      problem: `it is a directory (${artifact.codec}), but the input is declared ${declared.name}`,
    };
  }
  if (artifact.codec === declared.name || artifact.codec === "file") return { codec: declared };
  const variant = declared.variants?.[artifact.codec];
  if (variant) return { codec: variant };
  return {
    problem: `it was written as ${artifact.codec}, but the input is declared ${declared.name}; ` +
      `declare the input with the codec its producer writes, or convert it in a step`,
  };
};
