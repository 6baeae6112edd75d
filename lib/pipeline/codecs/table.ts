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
import * as Cause from "effect/Cause";
import * as Schema from "effect/Schema";
import * as SchemaAST from "effect/SchemaAST";
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

const parquetEncode = (rows: TableValue, known?: readonly string[]): Uint8Array => {
  const columns = columnsOf(rows, rows.length === 0 ? known : undefined);
  checkRows(rows, columns);
  const buffer = parquetWriteBuffer({
    columnData: columns.map((name) => ({
      name,
      data: rows.map((row) => row[name] ?? null),
      type: typeOf(name, rows),
    })),
  });
  return new Uint8Array(buffer);
};

const parquetDecode = async (bytes: Uint8Array): Promise<Row[]> => {
  const file = bytes.buffer.slice(
    bytes.byteOffset,
    bytes.byteOffset + bytes.byteLength,
  ) as ArrayBuffer;
  return (await parquetReadObjects({ file })) as Row[];
};

const parquet: ValueCodec<TableValue> = {
  _tag: "value",
  name: "table",
  extension: ".parquet",
  encode: (rows) => parquetEncode(rows),
  decode: parquetDecode,
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const csvEncode = (rows: TableValue, known?: readonly string[]): Uint8Array => {
  const columns = columnsOf(rows, rows.length === 0 ? known : undefined);
  checkRows(rows, columns);
  return encoder.encode(
    stringify(rows.map((r) => columns.map((c) => r[c])), {
      header: true,
      columns,
      cast: { boolean: (v) => (v ? "true" : "false"), bigint: (v) => v.toString() },
    }),
  );
};

// CSV has no types: empty → null, true/false → booleans, numeric text → numbers when
// the number prints as the text did, else the text.
const castCell = (value: string): string | number | boolean | null => {
  if (value === "") return null;
  if (value === "true") return true;
  if (value === "false") return false;
  // A number only when it reads back as the same text: "00501" (a zone id) and
  // "1.50" stay strings, so a table written back is the table read.
  const n = Number(value);
  return Number.isFinite(n) && String(n) === value ? n : value;
};

const csvDecode = (bytes: Uint8Array, cast = true): Row[] =>
  parse(decoder.decode(bytes), {
    columns: true,
    skip_empty_lines: true,
    ...(cast
      ? {
        cast: (value: string, context: { header: boolean; quoting: boolean }) =>
          context.header || context.quoting ? value : castCell(value),
      }
      : {}),
  }) as Row[];

const csv: ValueCodec<TableValue> = {
  _tag: "value",
  name: "table-csv",
  extension: ".csv",
  encode: (rows) => csvEncode(rows),
  decode: (bytes) => csvDecode(bytes),
};

// A row schema's columns, and how a CSV cell becomes what the column's encoded type
// wants (a string column keeps "00501"; a number column reads "1.50" as 1.5).
const csvCellsFor = (schema: Schema.Top) => {
  const ast = SchemaAST.toEncoded(schema.ast);
  const kinds = new Map<string, Set<string>>();
  if (ast._tag === "Objects") {
    for (const p of ast.propertySignatures) {
      const members = p.type._tag === "Union" ? p.type.types : [p.type];
      kinds.set(String(p.name), new Set(members.map((m) => m._tag)));
    }
  }
  return {
    columns: [...kinds.keys()],
    cell: (column: string, value: string): unknown => {
      const kind = kinds.get(column);
      if (!kind) return castCell(value);
      if (value === "" && (kind.has("Null") || !kind.has("String"))) return null;
      if (kind.has("Number") && value.trim() !== "" && Number.isFinite(Number(value))) {
        return Number(value);
      }
      if (kind.has("Boolean") && (value === "true" || value === "false")) return value === "true";
      if (kind.has("BigInt") && /^-?\d+$/.test(value)) return BigInt(value);
      return value;
    },
  };
};

const typed = <S extends Schema.Top>(
  schema: S,
  base: ValueCodec<TableValue>,
  readRows: (bytes: Uint8Array) => Row[] | Promise<Row[]>,
  writeRows: (rows: TableValue) => Uint8Array,
): ValueCodec<readonly S["Type"][]> => {
  const decodeRow = Schema.decodeUnknownExit(schema as never);
  const encodeRow = Schema.encodeUnknownExit(schema as never);
  const each = (rows: readonly unknown[], f: typeof decodeRow, what: string) =>
    rows.map((row, i) => {
      const exit = f(row);
      if (exit._tag === "Success") return exit.value;
      throw new Error(`row ${i} does not ${what}: ${String(Cause.squash(exit.cause))}`);
    });
  return {
    _tag: "value",
    name: base.name,
    ...(base.extension ? { extension: base.extension } : {}),
    encode: (rows) => writeRows(each(rows, encodeRow, "fit the row schema") as TableValue),
    decode: async (bytes) =>
      each(await readRows(bytes), decodeRow, "fit the row schema") as readonly S["Type"][],
  };
};

/** A table codec of typed rows (Parquet), with its CSV variant. */
export type TypedTable<T> = ValueCodec<readonly T[]> & { readonly csv: ValueCodec<readonly T[]> };

/**
 * A table codec whose rows follow `schema` (an effect `Schema` of a row): each row is
 * checked as it is written and as it is read (a failing row is a `CodecFailed` naming
 * its index), and `run` sees rows of the schema's type. Parquet, with `.csv` for CSV,
 * whose cells are read as the schema's columns want them (a `Schema.String` zone id
 * keeps "00501"). It reads table artifacts of either encoding.
 */
const tableOf = <S extends Schema.Top>(schema: S): TypedTable<S["Type"]> => {
  const cells = csvCellsFor(schema);
  const readCsv = (bytes: Uint8Array): Row[] =>
    csvDecode(bytes, false).map((row) =>
      Object.fromEntries(
        Object.entries(row).map(([k, v]) => [k, cells.cell(k, v as string)]),
      ) as Row
    );
  const p = typed(schema, parquet, parquetDecode, (rows) => parquetEncode(rows, cells.columns));
  const c = typed(schema, csv, readCsv, (rows) => csvEncode(rows, cells.columns));
  const variants = { [parquet.name]: p, [csv.name]: c };
  return { ...p, variants, csv: { ...c, variants } };
};

/**
 * Tables as Parquet; `Table.csv` stores them as CSV instead; `Table.of(schema)` types
 * and checks the rows.
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
 *
 * // Typed rows, checked against a Schema as they are written and read:
 * import { Schema } from "effect"
 * const Zones = Table.of(Schema.Struct({ zone: Schema.String, population: Schema.Number }))
 * const typed = await Zones.csv.decode(new TextEncoder().encode("zone,population\n00501,1200\n"))
 * assert.deepEqual(typed, [{ zone: "00501", population: 1200 }])
 * ```
 */
export const Table: ValueCodec<TableValue> & {
  readonly csv: ValueCodec<TableValue>;
  /** A table codec whose rows follow an effect `Schema` of a row (see the module doc). */
  readonly of: <S extends Schema.Top>(schema: S) => TypedTable<S["Type"]>;
} = {
  ...parquet,
  variants: { [parquet.name]: parquet, [csv.name]: csv },
  csv: { ...csv, variants: { [parquet.name]: parquet, [csv.name]: csv } },
  of: tableOf,
};
