// Rows inserted many to a statement. Each statement run costs a few microseconds
// beyond SQLite's own work (binding, stepping, resetting), which for a rebuild of
// 60,000 runs — half a million rows — was most of the time.
import type { DatabaseSync, SQLInputValue } from "node:sqlite";

const ROWS_PER_STATEMENT = 256;

/** Buffers rows of `table` and inserts them `ROWS_PER_STATEMENT` at a time, in order. */
export interface BulkInsert {
  /** Adds one row (one value per column, in the columns' order). */
  readonly add: (...values: SQLInputValue[]) => void;
  /** Inserts the rows still buffered. */
  readonly flush: () => void;
}

/**
 * Rows to leave out: those that `match` a row of `table` (`match` is an SQL condition
 * on that row, `b`, and the new row's columns, named through `v`).
 */
export interface Unless {
  readonly table: string;
  readonly match: (v: (column: string) => string) => string;
}

/**
 * A bulk inserter into `table`; `verb` is `INSERT` or `INSERT OR IGNORE` (which, row
 * by row in order, keeps the first of two rows with the same key, as single inserts
 * do); `unless` leaves out rows another table holds already.
 */
export const bulkInsert = (
  db: DatabaseSync,
  table: string,
  columns: readonly string[],
  verb: "INSERT" | "INSERT OR IGNORE" | "INSERT OR REPLACE" = "INSERT",
  unless?: Unless,
): BulkInsert => {
  const tuple = `(${columns.map(() => "?").join(", ")})`;
  const head = `${verb} INTO ${table} (${columns.join(", ")}) `;
  const statement = (n: number) => {
    const values = `VALUES ${Array(n).fill(tuple).join(", ")}`;
    if (!unless) return head + values;
    const v = (column: string) => `v.column${columns.indexOf(column) + 1}`;
    return `${head}SELECT * FROM (${values}) AS v
      WHERE NOT EXISTS (SELECT 1 FROM ${unless.table} AS b WHERE ${unless.match(v)})`;
  };
  const many = db.prepare(statement(ROWS_PER_STATEMENT));
  const one = db.prepare(statement(1));
  let pending: SQLInputValue[] = [];
  let rows = 0;
  return {
    add: (...values) => {
      for (const v of values) pending.push(v);
      if (++rows === ROWS_PER_STATEMENT) {
        many.run(...pending);
        pending = [];
        rows = 0;
      }
    },
    flush: () => {
      for (let at = 0; at < pending.length; at += columns.length) {
        one.run(...pending.slice(at, at + columns.length));
      }
      pending = [];
      rows = 0;
    },
  };
};
