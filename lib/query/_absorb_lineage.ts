// Bringing the query index up to date with the lineage log's new tail, entry by entry
// as the log view reads it (lineage_view.ts): the newest `run:` value wins (one that
// does not decode removes the run), `produced:`/`consumed:`/`step:` keep each run's
// first occurrence, in log order. Runs inside the caller's write transaction, so a
// kill at any point leaves the index as it was before.
import type { DatabaseSync, StatementSync } from "node:sqlite";
import * as Effect from "effect/Effect";
import type { ObjectStoreApi } from "../../store/object_store.ts";
import type { StoreError } from "../../store/errors.ts";
import { decodeRunSummary, LINEAGE_INDEX } from "../model/lineage_entry.ts";
import {
  EDGE_COLUMNS,
  EDGE_TABLES,
  edgeKey,
  type EdgeTable,
  idKey,
  QUERY_INDEX_OBJECTS,
  recentOf,
} from "../model/query_index_schema.ts";
import { type BulkInsert, bulkInsert } from "./_bulk_insert.ts";

/** Where the lineage log was absorbed up to. */
export interface LineageMark {
  readonly ino: number | null;
  readonly end: number;
  readonly seq: number;
}

/** Removes everything absorbed from the lineage log (before reading it again from the start). */
export const clearLineage = (db: DatabaseSync): void => {
  // Made again after the bulk load (query_index.ts), which is faster than keeping them.
  for (const index of QUERY_INDEX_OBJECTS.indexes) db.exec(`DROP INDEX IF EXISTS ${index}`);
  for (const table of ["run_summaries", "run_texts", "run_outputs", "run_inputs"]) {
    db.exec(`DELETE FROM ${table}`);
  }
  for (const table of EDGE_TABLES) {
    db.exec(`DELETE FROM ${table}`);
    db.exec(`DELETE FROM ${recentOf(table)}`);
  }
};

/** How many rows an edge table's recent part may hold, with `older` rows in its older part. */
export const recentLimit = (older: number): number => Math.max(4096, Math.floor(older / 8));

// Moves an edge table's recent rows into its older part, in their order, once there
// are more than `limit` (see the schema).
const settleRecent = (db: DatabaseSync, limit: (older: number) => number): void => {
  const count = (table: string) =>
    (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  for (const table of EDGE_TABLES) {
    const recent = recentOf(table);
    const held = count(recent);
    if (held === 0 || held <= limit(count(table))) continue;
    const columns = EDGE_COLUMNS[table].join(", ");
    db.exec(`INSERT OR IGNORE INTO ${table} (${columns})
      SELECT ${columns} FROM ${recent} ORDER BY rowid`);
    db.exec(`DELETE FROM ${recent}`);
  }
};

// A run's outputs and inputs as rows, from its summary in the table (SQLite reads the
// JSON: binding seven values per row from here cost more than the rest of the row).
const OUTPUT_ROWS = `INSERT INTO run_outputs (seq, ord, name, artifact, kind, codec, size)
  SELECT r.seq, o.id, o.key, o.value->>'id', o.value->>'kind', o.value->>'codec', o.value->>'size'
  FROM run_texts r, json_each(r.summary, '$.outputs') o`;
const INPUT_ROWS = `INSERT INTO run_inputs (seq, ord, name, artifact, kind, codec, size, producer)
  SELECT r.seq, i.id, i.key, i.value->>'id', i.value->>'kind', i.value->>'codec', i.value->>'size',
    i.value->>'producer'
  FROM run_texts r, json_each(r.summary, '$.inputs') i`;

// The absorbing of one pass. A run met for the first time is a buffered row, and its
// outputs and inputs are made from the summaries once the pass is over; a run the
// index held before the pass is updated in place (and its rows made again), after the
// buffers are flushed, so every change lands in log order.
class LineageWriter {
  readonly #summaries: BulkInsert;
  readonly #texts: BulkInsert;
  readonly #produced: BulkInsert;
  readonly #consumed: BulkInsert;
  readonly #steps: BulkInsert;
  readonly #find: StatementSync;
  readonly #update: StatementSync;
  readonly #updateText: StatementSync;
  readonly #drop: StatementSync[];
  readonly #dropRows: StatementSync[];
  readonly #forgetSeq: StatementSync[];
  readonly #makeRows: StatementSync[];
  readonly #makeAll: StatementSync[];
  // Summaries this pass gave (their seq) or removed (null).
  readonly #held = new Map<string, number | null>();

  // `empty`: the index held no run when the pass began; `first`: the pass's first seq.
  constructor(db: DatabaseSync, readonly empty: boolean, readonly first: number) {
    this.#summaries = bulkInsert(db, "run_summaries", [
      "seq",
      "id",
      "step",
      "iteration",
      "scenario",
      "started_at",
      "duration_ms",
    ]);
    this.#texts = bulkInsert(db, "run_texts", ["seq", "summary"]);
    // Into the older part when the index held nothing (a rebuild), else into the
    // recent part, leaving out a pair the older part holds (its first occurrence).
    const edge = (table: EdgeTable) => {
      const columns = EDGE_COLUMNS[table];
      if (empty) return bulkInsert(db, table, columns, "INSERT OR IGNORE");
      return bulkInsert(db, recentOf(table), columns, "INSERT OR IGNORE", {
        table,
        match: (v) => {
          const theirs = edgeKey(table, (c) => `b.${c}`);
          return edgeKey(table, v).map((k, i) => `${theirs[i]} = ${k}`).join(" AND ");
        },
      });
    };
    this.#produced = edge("produced");
    this.#consumed = edge("consumed");
    this.#steps = edge("step_runs");
    this.#find = db.prepare(
      `SELECT seq FROM run_summaries WHERE ${idKey("id")} = ${idKey("?1")} AND id = ?1`,
    );
    this.#update = db.prepare(
      `UPDATE run_summaries SET step = ?, iteration = ?, scenario = ?, started_at = ?,
         duration_ms = ? WHERE seq = ?`,
    );
    this.#updateText = db.prepare("UPDATE run_texts SET summary = ? WHERE seq = ?");
    this.#drop = ["run_summaries", "run_texts"].map((t) =>
      db.prepare(`DELETE FROM ${t} WHERE seq = ?`)
    );
    this.#dropRows = ["run_outputs", "run_inputs"].map((t) =>
      db.prepare(`DELETE FROM ${t} WHERE seq = ?`)
    );
    // A removed summary's seq is not a consumer any more (see the schema's `run_seq`).
    this.#forgetSeq = ["consumed", recentOf("consumed")].map((t) =>
      db.prepare(`UPDATE ${t} SET run_seq = NULL WHERE run_seq = ?`)
    );
    this.#makeRows = [OUTPUT_ROWS, INPUT_ROWS].map((q) => db.prepare(`${q} WHERE r.seq = ?`));
    this.#makeAll = [OUTPUT_ROWS, INPUT_ROWS].map((q) => db.prepare(`${q} WHERE r.seq >= ?`));
  }

  // The seq of run's summary in the index (buffered or not), or null.
  #seqOf(run: string): number | null {
    const held = this.#held.get(run);
    if (held !== undefined) return held;
    if (this.empty) return null;
    return (this.#find.get(run) as { seq: number } | undefined)?.seq ?? null;
  }

  #flush(): void {
    for (const b of [this.#summaries, this.#texts, this.#produced, this.#consumed, this.#steps]) {
      b.flush();
    }
  }

  /** Absorbs entry `key → value`, the `seq`th of the log. */
  entry(key: string, value: string, seq: number): void {
    const colon = key.indexOf(":");
    const kind = key.slice(0, colon);
    const subject = key.slice(colon + 1);
    if (kind === "produced") this.#produced.add(subject, value, seq);
    else if (kind === "consumed") this.#consumed.add(subject, value, seq, this.#seqOf(value));
    else if (kind === "step") {
      const [run, iteration] = value.split(" ");
      if (!run) return;
      const at = iteration === undefined || iteration === "-" ? null : Number(iteration);
      this.#steps.add(subject, run, at, seq);
    } else if (kind === "run") this.#run(subject, value, seq);
  }

  #run(subject: string, value: string, seq: number): void {
    const decoded = decodeRunSummary(value);
    if (!decoded) {
      // The view keys runs by the value's id; a value that does not decode hides
      // the run its key names, as the view's newest-value-wins does.
      const held = this.#seqOf(subject);
      if (held !== null) {
        this.#flush();
        for (const drop of this.#drop) drop.run(held);
        for (const forget of this.#forgetSeq) forget.run(held);
        // Rows of a summary from this pass are only made at its end.
        if (held < this.first) { for (const drop of this.#dropRows) drop.run(held); }
      }
      this.#held.set(subject, null);
      return;
    }
    const { run, summary: s } = decoded;
    const json = value.slice(65);
    const held = this.#seqOf(run);
    if (held === null) {
      this.#summaries.add(
        seq,
        run,
        s.step,
        s.iteration,
        s.scenario,
        s.startedAt,
        s.durationMs,
      );
      this.#texts.add(seq, json);
      this.#held.set(run, seq);
      return;
    }
    // The newest value wins in the place of the first (as a Map keeps a key's place).
    this.#flush();
    this.#update.run(s.step, s.iteration, s.scenario, s.startedAt, s.durationMs, held);
    this.#updateText.run(json, held);
    if (held < this.first) {
      for (const drop of this.#dropRows) drop.run(held);
      for (const make of this.#makeRows) make.run(held);
    }
  }

  /** Writes what is buffered and makes the rows of the pass's new summaries. */
  finish(): void {
    this.#flush();
    for (const make of this.#makeAll) make.run(this.first);
  }
}

const isEmpty = (db: DatabaseSync): boolean =>
  db.prepare("SELECT 1 AS x FROM run_summaries LIMIT 1").get() === undefined;

/**
 * Absorbs the lineage log from `mark` on; starts again from the beginning (after
 * clearing) when the log is another file than the one absorbed. `progress` hears
 * the bytes read of the log's size.
 */
export const absorbLineage = (
  store: ObjectStoreApi,
  db: DatabaseSync,
  mark: LineageMark,
  progress?: (done: number, total: number) => void,
  limit: (older: number) => number = recentLimit,
): Effect.Effect<LineageMark, StoreError> =>
  Effect.gen(function* () {
    const index = store.index(LINEAGE_INDEX);
    let { ino, end, seq } = mark;
    let first = yield* index.tail(end);
    if (first.ino !== ino || first.size < end) {
      clearLineage(db);
      ino = first.ino;
      end = 0;
      seq = 0;
      if (first.end !== 0 || first.entries.length > 0) first = yield* index.tail(0);
    }
    const w = new LineageWriter(db, isEmpty(db), seq);
    for (let tail = first;;) {
      // Compacted while we read it: start over from the new file.
      if (tail.ino !== ino) {
        w.finish();
        return yield* absorbLineage(store, db, { ino, end, seq }, progress, limit);
      }
      for (const [key, value] of tail.entries) w.entry(key, value, seq++);
      const advanced = tail.end > end;
      end = tail.end;
      progress?.(end, tail.size);
      if (!advanced || end >= tail.size) break;
      tail = yield* index.tail(end);
    }
    w.finish();
    settleRecent(db, limit);
    // Written only when they move: a query that finds nothing new writes nothing (no
    // page to commit, no WAL for the last connection to checkpoint as it closes).
    if (ino !== mark.ino || end !== mark.end || seq !== mark.seq) {
      const meta = db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
      meta.run("lineage.ino", ino === null ? "" : String(ino));
      meta.run("lineage.end", String(end));
      meta.run("lineage.seq", String(seq));
    }
    return { ino, end, seq };
  });
