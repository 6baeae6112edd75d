/**
 * The lineage view answered by the query index: the same maps as the view loaded
 * from the log (`LineageView`), each lookup one indexed SQL query, so a walk costs
 * what it visits. Also the scenario histories, read from the index's copy of the
 * records (the records reachable from the scenario refs, see `_index_absorb.ts`).
 *
 * @module
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { RunSummary } from "../model/lineage_entry.ts";
import type { LineageView } from "./lineage_view.ts";
import type { ScenarioEntry, ScenarioInvocation } from "./scenario_entry.ts";
import {
  EdgeLookups,
  HeadLookups,
  lookupBudget,
  NodeLookups,
  RunGraph,
  SummaryLookups,
} from "./_index_lookups.ts";
import { byRunId, type ImpactRun, walkDownstream } from "./_downstream.ts";
import type { RunHead, RunNode } from "./run_head.ts";
import { edgeRows } from "../model/query_index_schema.ts";

// Thrown by a walk's lookups once their budget is spent: the walk starts over by number.
const OVER_BUDGET = Symbol("over budget");

// A read-only map whose lookups are queries; iterating streams the table.
class LazyMap<V> implements ReadonlyMap<string, V> {
  readonly #get: (key: string) => V | undefined;
  readonly #all: () => Iterable<[string, V]>;
  readonly #count: () => number;
  constructor(
    get: (key: string) => V | undefined,
    all: () => Iterable<[string, V]>,
    count: () => number,
  ) {
    this.#get = get;
    this.#all = all;
    this.#count = count;
  }
  get(key: string): V | undefined {
    return this.#get(key);
  }
  has(key: string): boolean {
    return this.#get(key) !== undefined;
  }
  get size(): number {
    return this.#count();
  }
  *entries(): MapIterator<[string, V]> {
    yield* this.#all();
  }
  *keys(): MapIterator<string> {
    for (const [k] of this.#all()) yield k;
  }
  *values(): MapIterator<V> {
    for (const [, v] of this.#all()) yield v;
  }
  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }
  forEach(f: (value: V, key: string, map: ReadonlyMap<string, V>) => void): void {
    for (const [k, v] of this.#all()) f(v, k, this);
  }
}

// Groups rows `(key, value)` ordered by key into `[key, values[]]`.
function* grouped<V>(rows: Iterable<{ k: string; v: V }>): Generator<[string, V[]]> {
  let key: string | undefined;
  let values: V[] = [];
  for (const row of rows) {
    if (row.k !== key) {
      if (key !== undefined) yield [key, values];
      key = row.k;
      values = [];
    }
    values.push(row.v);
  }
  if (key !== undefined) yield [key, values];
}

type Row = Record<string, unknown>;

/** A scenario record's facts without its invocations. */
export interface ScenarioHead extends Omit<ScenarioEntry, "invocations"> {
  /** How many invocations the record lists. */
  readonly invocationCount: number;
  /** How many of them were cache hits. */
  readonly hits: number;
  /** How many of them failed. */
  readonly failed: number;
}

/** The lineage view over an open query index. */
export class IndexedView implements LineageView {
  /** Run id → its summary, one indexed lookup each. */
  readonly runs: ReadonlyMap<string, RunSummary>;
  readonly producedBy: ReadonlyMap<string, readonly string[]>;
  readonly consumedBy: ReadonlyMap<string, readonly string[]>;
  readonly stepRuns: ReadonlyMap<
    string,
    readonly { readonly run: string; readonly iteration: number | null }[]
  >;
  /** The database, for the queries that read it directly. */
  readonly db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  readonly #summaries: SummaryLookups;
  readonly #heads: HeadLookups;
  readonly #nodes: NodeLookups;
  readonly #consumers: EdgeLookups;
  #graph: RunGraph | undefined;

  /**
   * A view over `db`, an index brought up to date. `lookupBudget`: how many lookups
   * of one kind (summaries, producers, consumers) before that table is read whole
   * (default: a sixty-fourth of the runs, at least 1,000).
   */
  constructor(db: DatabaseSync, options: { readonly lookupBudget?: number } = {}) {
    this.db = db;
    const budget = lookupBudget(db, options.lookupBudget);
    this.#summaries = new SummaryLookups(db, budget);
    this.#heads = new HeadLookups(db, budget);
    this.#nodes = new NodeLookups(db, budget);
    this.runs = new LazyMap(
      (id) => this.summary(id),
      () => this.#streamSummaries(),
      () => this.#count("run_summaries"),
    );
    this.#consumers = new EdgeLookups(db, "consumed", budget);
    const edges = (table: "produced" | "consumed") => {
      const lookups = table === "consumed" ? this.#consumers : new EdgeLookups(db, table, budget);
      return new LazyMap<readonly string[]>(
        (artifact) => lookups.get(artifact),
        () =>
          grouped(
            this.prepare(
              `SELECT artifact AS k, run AS v FROM ${
                edgeRows(table, "artifact, run, seq")
              } ORDER BY artifact, seq`,
            ).iterate() as Iterable<{ k: string; v: string }>,
          ),
        () =>
          (this.prepare(
            `SELECT count(DISTINCT artifact) AS n FROM ${edgeRows(table, "artifact")}`,
          ).get() as {
            n: number;
          }).n,
      );
    };
    this.producedBy = edges("produced");
    this.consumedBy = edges("consumed");
    this.stepRuns = new LazyMap(
      (step) => {
        const rows = this.prepare(
          `SELECT run, iteration FROM ${
            edgeRows("step_runs", "step, run, iteration, seq")
          } WHERE step = ? ORDER BY seq`,
        ).all(step) as { run: string; iteration: number | null }[];
        return rows.length === 0
          ? undefined
          : rows.map((r) => ({ run: r.run, iteration: r.iteration }));
      },
      () => this.#streamStepRuns(),
      () =>
        (this.prepare(`SELECT count(DISTINCT step) AS n FROM ${edgeRows("step_runs", "step")}`)
          .get() as {
            n: number;
          }).n,
    );
  }

  /** A prepared statement, made once per text. */
  prepare(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * What an impact walk needs of run `id` (its step, iteration, scenario and outputs'
   * ids), without parsing its summary; undefined when the index has none.
   */
  head(id: string): RunHead | undefined {
    return this.#heads.get(id);
  }

  /**
   * The runs downstream of `artifact` (see impact.ts): by lookups while the walk is
   * small, and, once they have used up their budget, again from the start over every
   * run read whole by number ({@linkcode RunGraph}).
   */
  downstream(artifact: string): ImpactRun[] {
    const heads = this.#heads;
    const consumers = this.#consumers;
    if (!this.#graph && !heads.spent && !consumers.spent) {
      const small = byRunId(
        (a) => {
          if (consumers.spent) throw OVER_BUDGET;
          return consumers.get(a);
        },
        (run) => {
          if (heads.spent) throw OVER_BUDGET;
          return heads.get(run);
        },
      );
      try {
        return walkDownstream(artifact, small);
      } catch (e) {
        if (e !== OVER_BUDGET) throw e;
      }
    }
    const graph = this.#graph ??= new RunGraph(this.db);
    const seen = new Uint8Array(graph.seqs);
    return walkDownstream<number>(artifact, {
      consumers: (a) => graph.consumers(a),
      see: (seq) => {
        if (seen[seq] === 1) return false;
        seen[seq] = 1;
        return true;
      },
      expand: (seq, distance, next) => graph.expand(seq, distance, next),
    });
  }

  /**
   * What a lineage walk needs of run `id` (its head, timing, inputs' and outputs'
   * ids and what it made), read without parsing summaries once the walk is large;
   * undefined when the index has none.
   */
  node(id: string): RunNode | undefined {
    return this.#nodes.get(id);
  }

  /** Run `id`'s summary, or undefined when the lineage index has none. */
  summary(id: string): RunSummary | undefined {
    return this.#summaries.get(id);
  }

  *#streamSummaries(): Generator<[string, RunSummary]> {
    const rows = this.db.prepare(
      "SELECT r.id, t.summary FROM run_summaries r JOIN run_texts t ON t.seq = r.seq ORDER BY r.seq",
    ).iterate();
    for (const row of rows as Iterable<{ id: string; summary: string }>) {
      yield [row.id, JSON.parse(row.summary) as RunSummary];
    }
  }

  *#streamStepRuns(): Generator<[string, { run: string; iteration: number | null }[]]> {
    const rows = this.db.prepare(
      `SELECT step AS k, run, iteration FROM ${
        edgeRows("step_runs", "step, run, iteration, seq")
      } ORDER BY step, seq`,
    ).iterate() as Iterable<{ k: string; run: string; iteration: number | null }>;
    const pairs = function* () {
      for (const r of rows) yield { k: r.k, v: { run: r.run, iteration: r.iteration } };
    };
    yield* grouped(pairs());
  }

  #count(table: string): number {
    return (this.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  }

  /** Scenario record `id` without its invocations, if the index holds it. */
  scenarioHead(id: string): ScenarioHead | undefined {
    const row = this.prepare("SELECT * FROM scenario_records WHERE id = ?").get(id) as
      | Row
      | undefined;
    return row ? headOf(row) : undefined;
  }

  /** Scenario record `id` with its invocations, if the index holds it. */
  scenarioEntry(id: string): ScenarioEntry | undefined {
    const head = this.scenarioHead(id);
    if (!head) return undefined;
    const { invocationCount: _, hits: _h, failed: _f, ...rest } = head;
    const rows = this.prepare(
      `SELECT i.* FROM scenario_invocations i
       WHERE i.rec = (SELECT n FROM scenario_records WHERE id = ?) ORDER BY i.ord`,
    ).all(id) as Row[];
    return { ...rest, invocations: rows.map(invocationOf) };
  }

  /** The history of scenario `name` from its ref's record `head`, newest first. */
  history(head: string | null, limit = Infinity): ScenarioHead[] {
    const out: ScenarioHead[] = [];
    for (let id = head; id !== null && out.length < limit;) {
      const entry = this.scenarioHead(id);
      if (!entry) break;
      out.push(entry);
      id = entry.parent;
    }
    return out;
  }
}

const headOf = (row: Row): ScenarioHead => ({
  id: row.id as string,
  name: row.name as string,
  status: row.status as string,
  config: JSON.parse(row.config as string),
  tags: JSON.parse(row.tags as string),
  facets: JSON.parse(row.facets as string),
  loops: JSON.parse((row.loops as string | null) ?? "[]"),
  parent: row.parent as string | null,
  startedAt: row.started_at as string,
  durationMs: row.duration_ms as number,
  invocationCount: row.invocations as number,
  hits: row.hits as number,
  failed: row.failed as number,
});

/** An invocation row as the scenario record lists it. */
export const invocationOf = (row: Row): ScenarioInvocation => ({
  step: row.step as string,
  iteration: row.iteration as number | null,
  run: row.run as string | null,
  hit: row.hit === 1,
  durationMs: row.duration_ms as number,
  status: row.status as "ok" | "failed",
  ...(row.error !== null ? { error: row.error as string } : {}),
  ...(row.log_stdout !== null
    ? { logs: { stdout: row.log_stdout as string, stderr: row.log_stderr as string } }
    : {}),
});

/** Whether `view` is answered by the query index. */
export const isIndexed = (view: LineageView): view is IndexedView => view instanceof IndexedView;
