/**
 * The `Table` codec: rows of named columns, stored as Parquet (hyparquet-writer /
 * hyparquet), or as CSV with `Table.csv` (csv-stringify / csv-parse).
 *
 * A table value is an array of row objects with the same keys. Column types are
 * fixed so that equal tables give equal bytes: numbers are DOUBLE, strings
 * STRING, booleans BOOLEAN, bigints INT64, and `null` is allowed anywhere.
 *
 * @module
 */
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { parquetReadObjects } from "hyparquet";
import { parquetWriteBuffer } from "hyparquet-writer";
import type { ValueCodec } from "./codec.ts";

/** One row of a table. */
export type Row = Readonly<Record<string, string | number | boolean | bigint | null>>;

/** A table: rows with the same columns. */
export type TableValue = readonly Row[];

const columnsOf = (rows: TableValue, columns?: readonly string[]): string[] => {
  if (columns) return [...columns];
  if (rows.length === 0) return [];
  return Object.keys(rows[0]!);
};

type ColumnType = "DOUBLE" | "STRING" | "BOOLEAN" | "INT64";

const typeOf = (name: string, rows: TableValue): ColumnType => {
  let type: ColumnType | undefined;
  for (const row of rows) {
    const v = row[name];
    if (v === null || v === undefined) continue;
    const t: ColumnType = typeof v === "number"
      ? "DOUBLE"
      : typeof v === "string"
      ? "STRING"
      : typeof v === "boolean"
      ? "BOOLEAN"
      : typeof v === "bigint"
      ? "INT64"
      : (() => {
        throw new Error(
          `column "${name}" holds a ${typeof v}; tables hold numbers, strings, booleans, bigints or null`,
        );
      })();
    if (type && type !== t) throw new Error(`column "${name}" mixes ${type} and ${t} values`);
    type = t;
  }
  return type ?? "DOUBLE";
};

const checkRows = (rows: TableValue, columns: readonly string[]): void => {
  if (!Array.isArray(rows)) throw new Error("a table is an array of row objects");
  const expected = [...columns].sort().join(",");
  rows.forEach((row, i) => {
    if (Object.keys(row).sort().join(",") !== expected) {
      throw new Error(
        `row ${i} has columns [${Object.keys(row).join(", ")}], expected [${columns.join(", ")}]`,
      );
    }
  });
};

const parquet: ValueCodec<TableValue> = {
  _tag: "value",
  name: "table",
  extension: ".parquet",
  encode: (rows) => {
    const columns = columnsOf(rows);
    checkRows(rows, columns);
    const buffer = parquetWriteBuffer({
      columnData: columns.map((name) => ({
        name,
        data: rows.map((row) => row[name] ?? null),
        type: typeOf(name, rows),
      })),
    });
    return new Uint8Array(buffer);
  },
  decode: async (bytes) => {
    const file = bytes.buffer.slice(
      bytes.byteOffset,
      bytes.byteOffset + bytes.byteLength,
    ) as ArrayBuffer;
    return (await parquetReadObjects({ file })) as Row[];
  },
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const csv: ValueCodec<TableValue> = {
  _tag: "value",
  name: "table-csv",
  extension: ".csv",
  encode: (rows) => {
    const columns = columnsOf(rows);
    checkRows(rows, columns);
    return encoder.encode(
      stringify(rows.map((r) => columns.map((c) => r[c])), {
        header: true,
        columns,
        cast: { boolean: (v) => (v ? "true" : "false"), bigint: (v) => v.toString() },
      }),
    );
  },
  // CSV has no types: empty → null, true/false → booleans, numeric text → numbers.
  decode: (bytes) =>
    parse(decoder.decode(bytes), {
      columns: true,
      skip_empty_lines: true,
      cast: (value, context) => {
        if (context.header || context.quoting) return value;
        if (value === "") return null;
        if (value === "true") return true;
        if (value === "false") return false;
        const n = Number(value);
        return value.trim() !== "" && Number.isFinite(n) ? n : value;
      },
    }) as Row[],
};

/**
 * Tables as Parquet; `Table.csv` stores them as CSV instead.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict"
 * import { Table } from "cairn"
 *
 * const bytes = await Table.encode([{ zone: 1, population: 1200 }])
 * assert.deepEqual(await Table.decode(bytes), [{ zone: 1, population: 1200 }])
 * const csv = await Table.csv.encode([{ zone: 1, population: 1200 }])
 * assert.equal(new TextDecoder().decode(csv), "zone,population\n1,1200\n")
 * ```
 */
export const Table: ValueCodec<TableValue> & { readonly csv: ValueCodec<TableValue> } = {
  ...parquet,
  csv,
};
