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
 * A bulk inserter into `table`; `verb` is `INSERT` or `INSERT OR IGNORE` (which, row
 * by row in order, keeps the first of two rows with the same key, as single inserts do).
 */
export const bulkInsert = (
  db: DatabaseSync,
  table: string,
  columns: readonly string[],
  verb: "INSERT" | "INSERT OR IGNORE" | "INSERT OR REPLACE" = "INSERT",
): BulkInsert => {
  const tuple = `(${columns.map(() => "?").join(", ")})`;
  const head = `${verb} INTO ${table} (${columns.join(", ")}) VALUES `;
  const many = db.prepare(head + Array(ROWS_PER_STATEMENT).fill(tuple).join(", "));
  const one = db.prepare(head + tuple);
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
