// The lookups a walk makes on the query index, remembered, and read in bulk once a
// walk has made many: a walk's lookups of a run's head and of an artifact's edges
// cost ~25–50 µs a run from a new process (binding, stepping, row objects, pages
// mapped in on first touch), while reading a whole table costs ~2–4 µs a run. The
// switch comes after as many lookups as a sixty-fourth of the store's runs (at least
// 1,000): a walk that visits every run (a full lineage, the impact of an early
// artifact: the walks users ask for most) wastes little before reading whole, a walk
// between that many and ~10 times more pays for a whole read it could have done
// without (~250 ms at 60,000 runs), and a walk that stays small never reads more than
// it visits.
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { RunSummary } from "../model/lineage_entry.ts";
import { edgeRows, idKey, recentOf } from "../model/query_index_schema.ts";
import type { ArtifactRef } from "../model/artifact.ts";
import { nodeOfSummary, type RunHead, type RunNode } from "./run_head.ts";
import type { ImpactRun } from "./_downstream.ts";

const MIN_LOOKUPS = 1000;

// A run's summary by its id.
const SUMMARY_OF = `SELECT t.summary FROM run_summaries r JOIN run_texts t ON t.seq = r.seq
  WHERE ${idKey("r.id")} = ${idKey("?1")} AND r.id = ?1`;

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
        0) / 256,
    );
    return budget;
  };
};

const listOf = (runs: string | string[] | undefined): readonly string[] | undefined =>
  typeof runs === "string" ? [runs] : runs;

/** The runs that produced (or consumed) each artifact, in log order, as the table says. */
export class EdgeLookups {
  readonly #db: DatabaseSync;
  readonly #table: "produced" | "consumed";
  readonly #budget: () => number;
  readonly #seen = new Map<string, readonly string[] | undefined>();
  #lookup: StatementSync | undefined;
  // Once read whole: an artifact's one run as itself (most have one), more as a list —
  // tens of thousands of one-element lists were a good part of a big walk's garbage.
  #all: Map<string, string | string[]> | undefined;
  #lookups = 0;

  /** Lookups in `table` of `db`, read whole after `budget()` of them. */
  constructor(db: DatabaseSync, table: "produced" | "consumed", budget: () => number) {
    this.#db = db;
    this.#table = table;
    this.#budget = budget;
  }

  /** Whether the next lookup not made before reads the table whole. */
  get spent(): boolean {
    return !this.#all && this.#lookups >= this.#budget();
  }

  /** The runs of `artifact`, oldest first; undefined for none. */
  get(artifact: string): readonly string[] | undefined {
    if (this.#all) return listOf(this.#all.get(artifact));
    if (this.#seen.has(artifact)) return this.#seen.get(artifact);
    if (++this.#lookups > this.#budget()) {
      // In rowid order, which is log order: rows are only ever appended, as the log
      // is read, and the recent part's come after the older part's (see the schema),
      // so no sort is needed.
      const all = new Map<string, string | string[]>();
      for (const table of [this.#table, recentOf(this.#table)]) {
        const rows = arrays(
          this.#db.prepare(`SELECT artifact, run FROM ${table} ORDER BY rowid`),
        ).all() as unknown as [string, string][];
        for (const [a, run] of rows) {
          const runs = all.get(a);
          if (runs === undefined) all.set(a, run);
          else if (typeof runs === "string") all.set(a, [runs, run]);
          else runs.push(run);
        }
      }
      this.#all = all;
      this.#seen.clear();
      return listOf(all.get(artifact));
    }
    // No ORDER BY (a sort per lookup): most artifacts have one row; more are sorted here.
    this.#lookup ??= arrays(this.#db.prepare(
      `SELECT run, seq FROM ${edgeRows(this.#table, "artifact, run, seq")}
       WHERE ${idKey("artifact")} = ${idKey("?1")} AND artifact = ?1`,
    ));
    const rows = this.#lookup.all(artifact) as unknown as [string, number][];
    if (rows.length > 1) rows.sort((a, b) => a[1] - b[1]);
    const runs = rows.length === 0 ? undefined : rows.map((r) => r[0]);
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
      const rows = arrays(this.#db.prepare(
        "SELECT r.id, t.summary FROM run_summaries r JOIN run_texts t ON t.seq = r.seq",
      )).all() as unknown as [string, string][];
      this.#all = new Map(rows);
    }
    let text: string | undefined;
    if (this.#all) {
      text = this.#all.get(id);
      this.#all.delete(id); // parsed once: the text need not stay
    } else {
      this.#lookup ??= this.#db.prepare(
        SUMMARY_OF,
      );
      text = (this.#lookup.get(id) as { summary: string } | undefined)?.summary;
    }
    const summary = text === undefined ? undefined : JSON.parse(text) as RunSummary;
    this.#parsed.set(id, summary ?? null);
    return summary;
  }
}

// An object's keys in the order JavaScript gives them (integer-like names first, by
// value): the order a walk over a parsed summary's outputs takes.
const INDEX_LIKE = /^(?:0|[1-9]\d{0,9})$/;
const inObjectOrder = (names: readonly string[], ids: readonly string[]): string[] => {
  if (!names.some((n) => INDEX_LIKE.test(n) && Number(n) < 2 ** 32 - 1)) return [...ids];
  const order = names.map((name, i) => ({ name, i }));
  const index = (n: string) => (INDEX_LIKE.test(n) && Number(n) < 2 ** 32 - 1 ? Number(n) : -1);
  order.sort((a, b) => {
    const x = index(a.name);
    const y = index(b.name);
    if (x >= 0 && y >= 0) return x - y;
    if (x >= 0 || y >= 0) return x >= 0 ? -1 : 1;
    return a.i - b.i;
  });
  return order.map(({ i }) => ids[i]!);
};

/**
 * Lookups by id, remembered: one query each (`one`) until the budget is spent, then
 * every row read whole (`readAll`, which fills `seen`).
 */
abstract class Remembered<T> {
  protected readonly db: DatabaseSync;
  protected readonly seen = new Map<string, T | null>();
  readonly #budget: () => number;
  #all = false;
  #lookups = 0;

  /** Lookups in `db`, read whole after `budget()` of them. */
  constructor(db: DatabaseSync, budget: () => number) {
    this.db = db;
    this.#budget = budget;
  }

  /** Whether the next lookup not made before reads every row. */
  get spent(): boolean {
    return !this.#all && this.#lookups >= this.#budget();
  }

  /** The row of `id`, or undefined when the index has none. */
  get(id: string): T | undefined {
    const seen = this.seen.get(id);
    if (seen !== undefined) return seen ?? undefined;
    if (this.#all) return undefined;
    if (++this.#lookups > this.#budget()) {
      this.readAll();
      this.#all = true;
      return this.seen.get(id) ?? undefined;
    }
    const row = this.one(id);
    this.seen.set(id, row);
    return row ?? undefined;
  }

  /** One lookup: the row of `id`, or null. */
  protected abstract one(id: string): T | null;
  /** Every row into `seen` (ids already there keep theirs). */
  protected abstract readAll(): void;
}

/**
 * Runs' heads by id, read from the summaries' columns and the outputs' rows (no
 * summary parsed), one query each until the budget is spent, then whole.
 */
export class HeadLookups extends Remembered<RunHead> {
  #lookup: StatementSync | undefined;

  protected one(id: string): RunHead | null {
    this.#lookup ??= arrays(this.db.prepare(
      `SELECT r.step, r.iteration, r.scenario, o.name, o.artifact
       FROM run_summaries r LEFT JOIN run_outputs o ON o.seq = r.seq
       WHERE ${idKey("r.id")} = ${idKey("?1")} AND r.id = ?1 ORDER BY o.ord`,
    ));
    const rows = this.#lookup.all(id) as unknown as [
      string,
      number | null,
      string | null,
      string | null,
      string | null,
    ][];
    const first = rows[0];
    return first === undefined ? null : {
      step: first[0],
      iteration: first[1],
      scenario: first[2],
      outputs: first[4] === null ? [] : inObjectOrder(
        rows.map((r) => r[3]!),
        rows.map((r) => r[4]!),
      ),
    };
  }

  protected readAll(): void {
    // One row per output (a run without any: one row of nulls), a run's rows together
    // and in their order: one pass, no sort (the outputs' key is (seq, ord)).
    const rows = arrays(this.db.prepare(
      `SELECT r.id, r.step, r.iteration, r.scenario, o.name, o.artifact
       FROM run_summaries r LEFT JOIN run_outputs o ON o.seq = r.seq ORDER BY r.seq, o.ord`,
    )).all() as unknown as [string, string, number | null, string | null, string | null, string][];
    for (let at = 0; at < rows.length;) {
      const [id, step, iteration, scenario, name] = rows[at]!;
      let end = at + 1;
      while (end < rows.length && rows[end]![0] === id) end++;
      if (!this.seen.has(id)) {
        const outputs = name === null ? [] : end - at === 1 ? [rows[at]![5]] : inObjectOrder(
          rows.slice(at, end).map((r) => r[4]!),
          rows.slice(at, end).map((r) => r[5]),
        );
        this.seen.set(id, { step, iteration, scenario, outputs });
      }
      at = end;
    }
  }
}

/**
 * Runs' lineage nodes by id: from the summary while a walk is small (looked up here,
 * so that the summaries' own lookups do not spend their budget and read that table
 * whole too), then, once the budget is spent, every run's from the summaries'
 * columns and the inputs' and outputs' rows (no summary parsed: at 60,000 runs
 * parsing them was a quarter of a full lineage).
 */
export class NodeLookups extends Remembered<RunNode> {
  #lookup: StatementSync | undefined;

  protected one(id: string): RunNode | null {
    this.#lookup ??= this.db.prepare(
      SUMMARY_OF,
    );
    const text = (this.#lookup.get(id) as { summary: string } | undefined)?.summary;
    return text === undefined ? null : nodeOfSummary(JSON.parse(text) as RunSummary);
  }

  protected readAll(): void {
    type Node = {
      inputs: Record<string, string | null>;
      outputs: Record<string, string>;
      made: Record<string, ArtifactRef>;
    };
    const bySeq = new Map<number, { id: string; node: RunNode & Node }>();
    const runs = arrays(this.db.prepare(
      "SELECT seq, id, step, iteration, scenario, started_at, duration_ms FROM run_summaries",
    )).all() as unknown as [number, string, string, number | null, string | null, string, number][];
    for (const [seq, id, step, iteration, scenario, startedAt, durationMs] of runs) {
      bySeq.set(seq, {
        id,
        node: {
          step,
          iteration,
          scenario,
          durationMs,
          startedAt,
          inputs: {},
          outputs: {},
          made: {},
        },
      });
    }
    // In key order: a run's rows together and in their order, as its summary lists them
    // (an object puts integer-like names first either way).
    const outputs = arrays(this.db.prepare(
      "SELECT seq, name, artifact, kind, codec, size FROM run_outputs ORDER BY seq, ord",
    )).all() as unknown as [number, string, string, "blob" | "tree", string, number][];
    for (const [seq, name, id, kind, codec, size] of outputs) {
      const node = bySeq.get(seq)?.node;
      if (!node) continue;
      node.outputs[name] = id;
      node.made[name] = { id, kind, codec, size };
    }
    const inputs = arrays(this.db.prepare(
      "SELECT seq, name, artifact FROM run_inputs ORDER BY seq, ord",
    )).all() as unknown as [number, string, string | null][];
    for (const [seq, name, id] of inputs) {
      const node = bySeq.get(seq)?.node;
      if (node) node.inputs[name] = id;
    }
    for (const { id, node } of bySeq.values()) if (!this.seen.has(id)) this.seen.set(id, node);
  }
}

/**
 * Every run's place and outputs and every artifact's consumers, read whole and held
 * by the numbers of the runs' summaries (their seq): what a walk downstream over
 * most of the store reads. By number, a walk of 60,000 runs makes no map of run ids
 * and hashes each 64-character id it meets once instead of three times (consumers'
 * rows name the run by `run_seq`, see the schema): at 60,000 runs the walk by id took
 * ~350 ms in-process, this one ~180 ms (its reads ~110 of them).
 */
export class RunGraph {
  readonly #db: DatabaseSync;
  // seq → 1 + the run's place in the columns below (0: no summary).
  readonly #at: Int32Array;
  readonly #ids: string[] = [];
  readonly #steps: string[] = [];
  readonly #iterations: (number | null)[] = [];
  readonly #scenarios: (string | null)[] = [];
  // The run at place i has outputs #outputs[#first[i]] … #outputs[#first[i + 1] - 1].
  readonly #first: Int32Array;
  readonly #outputs: string[] = [];
  readonly #consumers = new Map<string, number | number[]>();

  /** Reads the graph of `db` whole. */
  constructor(db: DatabaseSync) {
    this.#db = db;
    const runs = arrays(db.prepare(
      "SELECT seq, id, step, iteration, scenario FROM run_summaries ORDER BY seq",
    )).all() as unknown as [number, string, string, number | null, string | null][];
    this.#at = new Int32Array((runs.at(-1)?.[0] ?? 0) + 1);
    for (const [seq, id, step, iteration, scenario] of runs) {
      this.#ids.push(id);
      this.#steps.push(step);
      this.#iterations.push(iteration);
      this.#scenarios.push(scenario);
      this.#at[seq] = this.#ids.length;
    }
    // A run's outputs in its summary's order (the key's), reordered as an object
    // orders its keys when one of them looks like an index (named apart: rare).
    const rows = arrays(db.prepare(
      `SELECT seq, artifact, name GLOB '[0-9]*' FROM run_outputs ORDER BY seq, ord`,
    )).all() as unknown as [number, string, number][];
    this.#first = new Int32Array(runs.length + 1);
    let place = 0;
    for (let at = 0; at < rows.length;) {
      const seq = rows[at]![0];
      let end = at;
      let indexLike = false;
      for (; end < rows.length && rows[end]![0] === seq; end++) {
        if (rows[end]![2] === 1) indexLike = true;
      }
      const run = this.#at[seq] ?? 0;
      if (run !== 0) {
        while (place < run - 1) this.#first[++place] = this.#outputs.length;
        if (!indexLike) { for (let i = at; i < end; i++) this.#outputs.push(rows[i]![1]); }
        else for (const id of this.#inOrder(seq, rows.slice(at, end))) this.#outputs.push(id);
      }
      at = end;
    }
    while (place < runs.length) this.#first[++place] = this.#outputs.length;
    // Consumers in log order: the older part's rows, then the recent part's. A row
    // whose run_seq is unknown names its run by id, looked up among the summaries.
    let byId: Map<string, number> | undefined;
    for (const table of ["consumed", recentOf("consumed")]) {
      const edges = arrays(db.prepare(
        `SELECT artifact, run_seq, CASE WHEN run_seq IS NULL THEN run END FROM ${table}
         ORDER BY rowid`,
      )).all() as unknown as [string, number | null, string | null][];
      for (const [artifact, known, id] of edges) {
        let seq = known;
        if (seq === null) {
          byId ??= new Map(runs.map((r) => [r[1], r[0]]));
          seq = byId.get(id!) ?? null;
          if (seq === null) continue; // a consumer without a summary: not walked
        }
        const list = this.#consumers.get(artifact);
        if (list === undefined) this.#consumers.set(artifact, seq);
        else if (typeof list === "number") this.#consumers.set(artifact, [list, seq]);
        else list.push(seq);
      }
    }
  }

  #inOrder(seq: number, rows: readonly [number, string, number][]): string[] {
    const names = (arrays(this.#db.prepare(
      "SELECT name FROM run_outputs WHERE seq = ? ORDER BY ord",
    )).all(seq) as unknown as [string][]).map((r) => r[0]);
    return inObjectOrder(names, rows.map((r) => r[1]));
  }

  /** The summaries' seqs of the runs that consumed `artifact`, in log order. */
  consumers(artifact: string): number | readonly number[] | undefined {
    return this.#consumers.get(artifact);
  }

  /** The run whose summary is `seq`th at `distance`, its outputs added to `next`. */
  expand(seq: number, distance: number, next: string[]): ImpactRun | undefined {
    const at = (this.#at[seq] ?? 0) - 1;
    if (at < 0) return undefined;
    for (let i = this.#first[at]!; i < this.#first[at + 1]!; i++) next.push(this.#outputs[i]!);
    return {
      run: this.#ids[at]!,
      step: this.#steps[at]!,
      iteration: this.#iterations[at]!,
      scenario: this.#scenarios[at]!,
      distance,
    };
  }

  /** How many seqs there are (one past the highest). */
  get seqs(): number {
    return this.#at.length;
  }
}
