/**
 * `cairn sql`: one read-only SQL statement over the query index's documented views
 * (`runs`, `artifacts`, `edges`, `scenarios`, `invocations`, `facets`; see
 * `lib/model/query_index_schema.ts` and the README). The statement runs on a
 * connection opened read-only (an index in memory gets `query_only`), so nothing it
 * says can change the index, and only a query is accepted.
 *
 * @module
 */
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import * as Effect from "effect/Effect";
import type { QueryIndex } from "./query_index.ts";
import { QueryError } from "./query_error.ts";

/** The answer to a SQL query: column names and rows of values, in order. */
export interface SqlResult {
  /** The result's column names, in order. */
  readonly columns: readonly string[];
  /** Each row's values, in the columns' order. */
  readonly rows: readonly (readonly unknown[])[];
}

const VIEWS = "runs, artifacts, edges, scenarios, invocations, facets";

const refused = (detail: string) =>
  new QueryError({
    detail:
      `Cannot run the query: ${detail}; give one SELECT (or WITH … SELECT) over the views ${VIEWS} (see "The query index" in the README)`,
  });

/**
 * Runs one read-only statement `sql` over `index`; fails with `QueryError` saying
 * what SQLite refused, or that the statement is not a query.
 *
 * @example Counting runs per step
 * ```ts
 * import assert from "node:assert/strict"
 * import { Effect } from "effect"
 * import { ObjectStore } from "cairn"
 * import { openQueryIndex, runSql } from "cairn/query"
 *
 * const result = await Effect.runPromise(
 *   Effect.scoped(
 *     Effect.flatMap(openQueryIndex(), (index) =>
 *       runSql(index, "SELECT step, count(*) AS n FROM runs GROUP BY step")),
 *   ).pipe(Effect.provide(ObjectStore.layerTemp)),
 * )
 * assert.deepEqual(result.columns, ["step", "n"])
 * ```
 */
export const runSql = (
  index: QueryIndex,
  sql: string,
  params: readonly SQLInputValue[] = [],
): Effect.Effect<SqlResult, QueryError> =>
  Effect.gen(function* () {
    const text = sql.trim().replace(/;\s*$/, "");
    if (!/^(select|with|values)\b/i.test(text)) {
      return yield* Effect.fail(refused("it is not a query"));
    }
    const db = index.path === null ? index.db : new DatabaseSync(index.path, { readOnly: true });
    if (index.path === null) db.exec("PRAGMA query_only = 1");
    try {
      return yield* Effect.try({
        try: () => {
          const statement = db.prepare(text);
          // Rows as arrays keep columns of the same name apart (node:sqlite has it; its types lag).
          (statement as unknown as { setReturnArrays(on: boolean): void }).setReturnArrays(true);
          const rows = statement.all(...params) as unknown as unknown[][];
          const columns = statement.columns().map((c) => c.name);
          return { columns, rows };
        },
        catch: (e) => refused(`SQLite says "${e instanceof Error ? e.message : String(e)}"`),
      });
    } finally {
      if (index.path === null) db.exec("PRAGMA query_only = 0");
      else db.close();
    }
  });
