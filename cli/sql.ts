/**
 * `cairn sql "<query>"`: read-only SQL over the query index's views, printed as a
 * table (or, with `--json`, as an array of objects, one per row).
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Argument from "effect/cli/Argument";
import * as Command from "effect/cli/Command";
import { jsonFlag, printJson, printLines, table } from "./_output.ts";
import { queries, storeFlag, withStore } from "./_store.ts";

const cell = (value: unknown): string =>
  value === null ? "null" : typeof value === "string" ? value : String(value);

/** The `sql` command. */
export const sqlCommand = Command.make(
  "sql",
  {
    query: Argument.String("query").pipe(
      Argument.withDescription(
        "One SELECT over the views runs, artifacts, edges, scenarios, invocations, facets",
      ),
    ),
    json: jsonFlag,
    store: storeFlag,
  },
  ({ query, json, store }) =>
    withStore(
      store,
      Effect.scoped(Effect.gen(function* () {
        const q = yield* queries;
        const index = yield* q.openQueryIndex();
        const { columns, rows } = yield* q.runSql(index, query);
        if (json) {
          return yield* printJson(
            rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]]))),
          );
        }
        if (rows.length === 0) return yield* printLines(["no rows"]);
        const numeric = columns.flatMap((_, i) =>
          rows.every((r) => r[i] === null || typeof r[i] === "number") ? [i] : []
        );
        yield* printLines(table(columns, rows.map((r) => r.map(cell)), numeric));
      })),
    ),
).pipe(
  Command.withDescription("Run a read-only SQL query over the query index's views"),
  Command.withExamples([
    {
      command: `cairn sql "SELECT step, count(*) AS runs FROM runs GROUP BY step"`,
      description: "Runs per step",
    },
    {
      command: `cairn sql "SELECT * FROM runs ORDER BY duration_ms DESC LIMIT 5" --json`,
      description: "The five slowest runs",
    },
  ]),
);
