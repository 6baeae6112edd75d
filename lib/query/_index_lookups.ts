// The lookups a walk makes on the query index, remembered, and read in bulk once a
// walk has made many: one indexed query from here costs ~5 µs (binding, stepping,
// a row object), so a walk over 60,000 runs spent most of its time in them, while
// reading a whole table costs under 1 µs a row. The switch comes after as many
// lookups as a sixteenth of the store's runs (at least 1,000), so a walk that reads
// the whole table has already cost a sixteenth of it, and a walk that stays small
// never reads more than it visits.
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { RunSummary } from "../model/lineage_entry.ts";

const MIN_LOOKUPS = 1000;

// Rows as arrays: node:sqlite makes them faster than objects (its types lag).
const arrays = (statement: StatementSync): StatementSync => {
  (statement as unknown as { setReturnArrays(on: boolean): void }).setReturnArrays(true);
  return statement;
};

/** How many lookups of one kind a walk may make before the table is read whole. */
export const lookupBudget = (db: DatabaseSync, fixed?: number): () => number => {
  let budget: number | undefined = fixed;
  return () => {
    // seq counts log entries, about four per run.
    budget ??= Math.max(
      MIN_LOOKUPS,
      ((db.prepare("SELECT max(seq) AS n FROM run_summaries").get() as { n: number | null }).n ??
        0) / 64,
    );
    return budget;
  };
};

/** The runs that produced (or consumed) each artifact, in log order, as the table says. */
export class EdgeLookups {
  readonly #db: DatabaseSync;
  readonly #table: "produced" | "consumed";
  readonly #budget: () => number;
  readonly #seen = new Map<string, readonly string[] | undefined>();
  #lookup: StatementSync | undefined;
  #all: Map<string, string[]> | undefined;
  #lookups = 0;

  /** Lookups in `table` of `db`, read whole after `budget()` of them. */
  constructor(db: DatabaseSync, table: "produced" | "consumed", budget: () => number) {
    this.#db = db;
    this.#table = table;
    this.#budget = budget;
  }

  /** The runs of `artifact`, oldest first; undefined for none. */
  get(artifact: string): readonly string[] | undefined {
    if (this.#all) return this.#all.get(artifact);
    if (this.#seen.has(artifact)) return this.#seen.get(artifact);
    if (++this.#lookups > this.#budget()) {
      const all = new Map<string, string[]>();
      const rows = arrays(this.#db.prepare(`SELECT artifact, run FROM ${this.#table} ORDER BY seq`))
        .all() as unknown as [string, string][];
      for (const [a, run] of rows) {
        const runs = all.get(a);
        if (runs) runs.push(run);
        else all.set(a, [run]);
      }
      this.#all = all;
      this.#seen.clear();
      return all.get(artifact);
    }
    this.#lookup ??= this.#db.prepare(
      `SELECT run FROM ${this.#table} WHERE artifact = ? ORDER BY seq`,
    );
    const rows = this.#lookup.all(artifact) as { run: string }[];
    const runs = rows.length === 0 ? undefined : rows.map((r) => r.run);
    this.#seen.set(artifact, runs);
    return runs;
  }
}

/** Run summaries by id, parsed once each. */
export class SummaryLookups {
  readonly #db: DatabaseSync;
  readonly #budget: () => number;
  readonly #parsed = new Map<string, RunSummary | null>();
  #lookup: StatementSync | undefined;
  // Every summary's text, once the budget is spent (parsed as it is asked for).
  #all: Map<string, string> | undefined;
  #lookups = 0;

  /** Lookups of summaries in `db`, read whole after `budget()` of them. */
  constructor(db: DatabaseSync, budget: () => number) {
    this.#db = db;
    this.#budget = budget;
  }

  /** Run `id`'s summary, or undefined when the index has none. */
  get(id: string): RunSummary | undefined {
    const parsed = this.#parsed.get(id);
    if (parsed !== undefined) return parsed ?? undefined;
    if (!this.#all && ++this.#lookups > this.#budget()) {
      const rows = arrays(this.#db.prepare("SELECT id, summary FROM run_summaries"))
        .all() as unknown as [string, string][];
      this.#all = new Map(rows);
    }
    let text: string | undefined;
    if (this.#all) text = this.#all.get(id);
    else {
      this.#lookup ??= this.#db.prepare("SELECT summary FROM run_summaries WHERE id = ?");
      text = (this.#lookup.get(id) as { summary: string } | undefined)?.summary;
    }
    const summary = text === undefined ? undefined : JSON.parse(text) as RunSummary;
    this.#parsed.set(id, summary ?? null);
    return summary;
  }
}
