// Bringing the query index up to date: the lineage log's new tail, entry by entry as
// the log view reads it, and the scenario records reachable from the scenario refs.
// Everything here runs inside the caller's write transaction, so a kill at any point
// leaves the index as it was before (SQLite rolls the transaction back).
import type { DatabaseSync, StatementSync } from "node:sqlite";
import * as Effect from "effect/Effect";
import type { ObjectStoreApi } from "../../store/object_store.ts";
import type { StoreError } from "../../store/errors.ts";
import { encodeCanonicalJson, type JsonValue } from "../../store/canonical_json.ts";
import { decodeRunSummary, LINEAGE_INDEX } from "../model/lineage_entry.ts";
import { decodeScenarioRecord, type ScenarioRecord } from "../model/scenario_record.ts";
import type { StoreRecord } from "../../store/record.ts";

/** Prepared statements of the absorbing transaction. */
export interface Writers {
  readonly meta: StatementSync;
  readonly summary: StatementSync;
  readonly dropSummary: StatementSync;
  readonly output: StatementSync;
  readonly dropOutputs: StatementSync;
  readonly input: StatementSync;
  readonly dropInputs: StatementSync;
  readonly produced: StatementSync;
  readonly consumed: StatementSync;
  readonly stepRun: StatementSync;
}

/** The statements absorbing lineage entries need. */
export const writers = (db: DatabaseSync): Writers => ({
  meta: db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"),
  summary: db.prepare(
    `INSERT INTO run_summaries (id, seq, step, iteration, scenario, started_at, duration_ms, summary)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET step = excluded.step, iteration = excluded.iteration,
       scenario = excluded.scenario, started_at = excluded.started_at,
       duration_ms = excluded.duration_ms, summary = excluded.summary`,
  ),
  dropSummary: db.prepare("DELETE FROM run_summaries WHERE id = ?"),
  output: db.prepare(
    "INSERT INTO run_outputs (run, ord, name, artifact, kind, codec, size) VALUES (?, ?, ?, ?, ?, ?, ?)",
  ),
  dropOutputs: db.prepare("DELETE FROM run_outputs WHERE run = ?"),
  input: db.prepare(
    "INSERT INTO run_inputs (run, ord, name, artifact, kind, codec, size, producer) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  ),
  dropInputs: db.prepare("DELETE FROM run_inputs WHERE run = ?"),
  produced: db.prepare("INSERT OR IGNORE INTO produced (artifact, run, seq) VALUES (?, ?, ?)"),
  consumed: db.prepare("INSERT OR IGNORE INTO consumed (artifact, run, seq) VALUES (?, ?, ?)"),
  stepRun: db.prepare(
    "INSERT OR IGNORE INTO step_runs (step, run, iteration, seq) VALUES (?, ?, ?, ?)",
  ),
});

/** Removes everything absorbed from the lineage log (before reading it again from the start). */
export const clearLineage = (db: DatabaseSync): void => {
  for (const table of ["run_summaries", "run_outputs", "run_inputs", "produced", "consumed"]) {
    db.exec(`DELETE FROM ${table}`);
  }
  db.exec("DELETE FROM step_runs");
};

// One entry, as the log view reads it (lineage_view.ts): the newest `run:` value
// wins (one that does not decode removes the run), `produced:`/`consumed:`/`step:`
// keep each run's first occurrence, in log order.
const absorbEntry = (w: Writers, key: string, value: string, seq: number): void => {
  const colon = key.indexOf(":");
  const kind = key.slice(0, colon);
  const subject = key.slice(colon + 1);
  if (kind === "run") {
    const decoded = decodeRunSummary(value);
    if (!decoded) {
      // The view keys runs by the value's id; a value that does not decode hides
      // the run its key names, as the view's newest-value-wins does.
      w.dropSummary.run(subject);
      w.dropOutputs.run(subject);
      w.dropInputs.run(subject);
      return;
    }
    const { run, summary: s } = decoded;
    w.summary.run(
      run,
      seq,
      s.step,
      s.iteration,
      s.scenario,
      s.startedAt,
      s.durationMs,
      value.slice(65),
    );
    w.dropOutputs.run(run);
    w.dropInputs.run(run);
    Object.entries(s.outputs).forEach(([name, o], ord) =>
      w.output.run(run, ord, name, o.id, o.kind, o.codec, o.size)
    );
    Object.entries(s.inputs).forEach(([name, i], ord) =>
      w.input.run(
        run,
        ord,
        name,
        i?.id ?? null,
        i?.kind ?? null,
        i?.codec ?? null,
        i?.size ?? null,
        i?.producer ?? null,
      )
    );
  } else if (kind === "produced") w.produced.run(subject, value, seq);
  else if (kind === "consumed") w.consumed.run(subject, value, seq);
  else if (kind === "step") {
    const [run, iteration] = value.split(" ");
    if (!run) return;
    w.stepRun.run(
      subject,
      run,
      iteration === undefined || iteration === "-" ? null : Number(iteration),
      seq,
    );
  }
};

/** Where the lineage log was absorbed up to. */
export interface LineageMark {
  readonly ino: number | null;
  readonly end: number;
  readonly seq: number;
}

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
): Effect.Effect<LineageMark, StoreError> =>
  Effect.gen(function* () {
    const w = writers(db);
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
    for (let tail = first;;) {
      // Compacted while we read it: start over from the new file.
      if (tail.ino !== ino) return yield* absorbLineage(store, db, { ino, end, seq }, progress);
      for (const [key, value] of tail.entries) absorbEntry(w, key, value, seq++);
      const advanced = tail.end > end;
      end = tail.end;
      progress?.(end, tail.size);
      if (!advanced || end >= tail.size) break;
      tail = yield* index.tail(end);
    }
    w.meta.run("lineage.ino", ino === null ? "" : String(ino));
    w.meta.run("lineage.end", String(end));
    w.meta.run("lineage.seq", String(seq));
    return { ino, end, seq };
  });

const canonical = (value: unknown): string => encodeCanonicalJson(value as JsonValue);

/**
 * Absorbs the scenario records reachable from `refs/scenarios/*` that the index
 * lacks, then drops every record no history reaches any more: a history is its
 * ref's record, then each parent while it is absorbed and still in the store (as
 * `scenarioHistory` reads it, a record gc removed ends the history).
 */
export const absorbScenarios = (
  store: ObjectStoreApi,
  db: DatabaseSync,
): Effect.Effect<void, StoreError> =>
  Effect.gen(function* () {
    const known = db.prepare("SELECT parent FROM scenario_records WHERE id = ?");
    const insert = db.prepare(
      `INSERT INTO scenario_records (id, name, status, started_at, ended_at, duration_ms, host,
         parent, config, tags, facets, invocations, hits, failed)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const invocation = db.prepare(
      `INSERT INTO scenario_invocations (record, ord, step, iteration, run, hit, duration_ms, status,
         error, log_stdout, log_stderr)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const tag = db.prepare("INSERT INTO scenario_tags (record, ord, tag) VALUES (?, ?, ?)");
    const facet = db.prepare("INSERT INTO scenario_facets (record, name, value) VALUES (?, ?, ?)");
    const heads = yield* store.listRefs("scenarios/");
    for (const { id: head } of heads) {
      for (let id: string | null = head; id !== null && known.get(id) === undefined;) {
        const record: StoreRecord | undefined = yield* store.readRecord(id).pipe(
          Effect.orElseSucceed(() => undefined),
        );
        const r: ScenarioRecord | undefined = record ? decodeScenarioRecord(record) : undefined;
        if (!r) break;
        insert.run(
          id,
          r.name,
          r.status,
          r.startedAt,
          r.endedAt,
          r.durationMs,
          r.host,
          r.parent,
          JSON.stringify(r.config ?? null),
          JSON.stringify(r.tags),
          JSON.stringify(r.facets),
          r.invocations.length,
          r.invocations.filter((i) => i.hit).length,
          r.invocations.filter((i) => i.status === "failed").length,
        );
        r.invocations.forEach((inv, ord) =>
          invocation.run(
            id,
            ord,
            inv.step,
            inv.iteration,
            inv.run,
            inv.hit ? 1 : 0,
            inv.durationMs,
            inv.status,
            inv.error ?? null,
            inv.logs?.stdout ?? null,
            inv.logs?.stderr ?? null,
          )
        );
        r.tags.forEach((t, ord) => tag.run(id, ord, t));
        for (const [name, value] of Object.entries(r.facets)) facet.run(id, name, canonical(value));
        id = r.parent;
      }
    }
    const live = new Set<string>();
    for (const { id: head } of heads) {
      for (let id: string | null = head; id !== null && !live.has(id);) {
        const row = known.get(id) as { parent: string | null } | undefined;
        if (row === undefined || !(yield* store.has(id))) break;
        live.add(id);
        id = row.parent;
      }
    }
    const all = db.prepare("SELECT id FROM scenario_records").all() as { id: string }[];
    for (const { id } of all) {
      if (live.has(id)) continue;
      for (const table of ["scenario_invocations", "scenario_tags", "scenario_facets"]) {
        db.prepare(`DELETE FROM ${table} WHERE record = ?`).run(id);
      }
      db.prepare("DELETE FROM scenario_records WHERE id = ?").run(id);
    }
  });
