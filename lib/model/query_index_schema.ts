/**
 * The query index (`index/query.sqlite`): a SQLite database derived from the
 * lineage index and the scenario records, so that a query costs what it prints.
 * It is a cache — deleted freely, rebuilt from the logs and records by the next
 * query or by `cairn reindex` — and `meta` records what it has absorbed:
 *
 * - `schema`: {@linkcode QUERY_INDEX_SCHEMA}; another value is rebuilt;
 * - `lineage.ino`, `lineage.end`: the inode of `index/lineage.log` and the byte
 *   offset read up to (a new inode means the log was compacted or pruned: rebuild);
 * - `lineage.seq`: entries absorbed, the order the log view keeps ("oldest first").
 *
 * Tables mirror the log view entry for entry (`run_summaries` from `run:` entries,
 * the newest value winning; `produced`, `consumed`, `step_runs` from theirs, first
 * occurrence kept), plus the outputs and inputs of each summary, the scenario
 * records reachable from `refs/scenarios/*` with their invocations, tags and facets,
 * and `object_facts`: what a gc or fsck pass learned of an object (kind, record
 * type, size, links — concatenated ids — and the file's `size mtime inode ctime`),
 * trusted by the next pass while the file is unchanged (`store/object_facts.ts`); it
 * is unique by an id's 8-byte key, so were two ids to share one, the second fact would
 * replace the first — whose object is then read again, as its file's status no longer
 * matches a fact (a fact only ever saves a read).
 *
 * The views are the documented surface of `cairn sql` (see README).
 *
 * @module
 */

/** The schema's version; an index of another version is rebuilt. */
export const QUERY_INDEX_SCHEMA = "cairn-query-index 11";

/** The index's file name under the store's `index/` directory. */
export const QUERY_INDEX_FILE = "query.sqlite";

/**
 * The key an index keeps of an object id: its first 8 bytes (`coalesce` keeps text
 * that is not hex, which a damaged log can hold, as it is). Lookups name the id too
 * (`… WHERE ${idKey("id")} = ${idKey("?1")} AND id = ?1`), so the key only has to
 * narrow the search. An index entry of 8 bytes instead of 64 characters is what
 * makes a catch-up cheap: new runs insert at random places in every index keyed by
 * an id, and each insert dirties a page that must be written twice (to the WAL and
 * back); with small entries an index has 8 times fewer pages to dirty. The unique
 * keys of the edge tables tell pairs of ids apart by their keys alone: two different
 * pairs would have to agree in both 8-byte prefixes (a 128-bit coincidence).
 */
export const idKey = (column: string): string =>
  `coalesce(substr(unhex(${column}), 1, 8), ${column})`;

/** The suffix of the edge tables' recent part (see {@linkcode QUERY_INDEX_TABLES}). */
const RECENT = "_recent";

/** The edge tables, each kept as an older and a recent part. */
export const EDGE_TABLES = ["produced", "consumed", "step_runs"] as const;

/** An edge table. */
export type EdgeTable = (typeof EDGE_TABLES)[number];

/** Each edge table's columns, in order. */
export const EDGE_COLUMNS: Readonly<Record<EdgeTable, readonly string[]>> = {
  produced: ["artifact", "run", "seq"],
  consumed: ["artifact", "run", "seq", "run_seq"],
  step_runs: ["step", "run", "iteration", "seq"],
};

/**
 * An edge table's unique key, as SQL over a row's columns (`column` names them: a
 * table's own, or another row's): what its index is on, and what a catch-up compares
 * to leave out a pair the older part holds.
 */
export const edgeKey = (table: EdgeTable, column: (name: string) => string): string[] => [
  table === "step_runs" ? column("step") : idKey(column("artifact")),
  idKey(column("run")),
];

/** An edge table's recent part. */
export const recentOf = (table: EdgeTable): string => `${table}${RECENT}`;

/**
 * An edge table's rows, older part and recent part together, as a subquery of
 * `columns`: what its readers select from (a constraint on it is pushed into both
 * parts, each answering from its own indexes). The older rows come first.
 */
export const edgeRows = (table: EdgeTable, columns: string): string =>
  `(SELECT ${columns} FROM ${table} UNION ALL SELECT ${columns} FROM ${recentOf(table)})`;

/**
 * Tables, each with the key its lookups use. A run's summary is numbered by the
 * position of its entry in the log (`seq`), and its outputs and inputs are keyed by
 * that number: rows appended in order, not inserted at random by a 64-character id.
 * The edge tables are appended in log order too (their rowid order is their seq
 * order), and looked up through indexes of {@linkcode idKey}s. Scenario records
 * are numbered (`n`) so that their invocations, tags and facets are keyed by a
 * small integer rather than a 64-character id repeated on every row.
 * The edge tables (`produced`, `consumed`, `step_runs`: keyed by ids, so a new row goes
 * to a random place in each of their keys) have a recent part (`…_recent`, the same
 * columns and keys) that a catch-up writes to, and an older part it is moved into in
 * one go once it holds an eighth as many rows (at least 4,096): a catch-up of 1,000 runs
 * then dirties the pages of small keys, not a page of each large key per run, and each
 * older key's pages are written once per move rather than once per catch-up. A row is
 * in one part only (a catch-up adds no row the older part has), and the recent rows
 * come after the older ones in log order. A rebuild fills the older part directly.
 * A `consumed` row also names the consuming run by the seq of its summary (`run_seq`),
 * when the index held that summary as the row was written (a run's `consumed:` entries
 * follow its `run:` entry), and null otherwise or once that summary is removed: a walk
 * over every run (the impact of an early artifact) then goes from an artifact to
 * its consumers' summaries by number, without a 64-character id per row. A summary's
 * JSON (~550 bytes, the run's key and host among them) is in `run_texts` under the
 * same seq, not beside its columns: a walk that reads every run's columns then reads
 * a table a tenth the size.
 */
export const QUERY_INDEX_TABLES = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS run_summaries (
  seq INTEGER PRIMARY KEY, id TEXT NOT NULL, step TEXT NOT NULL, iteration INTEGER,
  scenario TEXT, started_at TEXT NOT NULL, duration_ms REAL NOT NULL);
CREATE INDEX IF NOT EXISTS run_summaries_id ON run_summaries (${idKey("id")});
CREATE TABLE IF NOT EXISTS run_texts (seq INTEGER PRIMARY KEY, summary TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS run_outputs (
  seq INTEGER NOT NULL, ord INTEGER NOT NULL, name TEXT NOT NULL, artifact TEXT NOT NULL,
  kind TEXT NOT NULL, codec TEXT NOT NULL, size INTEGER NOT NULL, PRIMARY KEY (seq, ord)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS run_inputs (
  seq INTEGER NOT NULL, ord INTEGER NOT NULL, name TEXT NOT NULL, artifact TEXT,
  kind TEXT, codec TEXT, size INTEGER, producer TEXT, PRIMARY KEY (seq, ord)
) WITHOUT ROWID;
${
  [""].concat(RECENT).map((suffix) => `
CREATE TABLE IF NOT EXISTS produced${suffix} (
  artifact TEXT NOT NULL, run TEXT NOT NULL, seq INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS produced${suffix}_key
  ON produced${suffix} (${edgeKey("produced", (c) => c).join(", ")});
CREATE TABLE IF NOT EXISTS consumed${suffix} (
  artifact TEXT NOT NULL, run TEXT NOT NULL, seq INTEGER NOT NULL, run_seq INTEGER);
CREATE UNIQUE INDEX IF NOT EXISTS consumed${suffix}_key
  ON consumed${suffix} (${edgeKey("consumed", (c) => c).join(", ")});
CREATE TABLE IF NOT EXISTS step_runs${suffix} (
  step TEXT NOT NULL, run TEXT NOT NULL, iteration INTEGER, seq INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS step_runs${suffix}_key
  ON step_runs${suffix} (${edgeKey("step_runs", (c) => c).join(", ")});
CREATE INDEX IF NOT EXISTS step_runs${suffix}_seq ON step_runs${suffix} (step, seq);`).join("")
}
CREATE TABLE IF NOT EXISTS scenario_records (
  n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, status TEXT NOT NULL,
  started_at TEXT NOT NULL, ended_at TEXT NOT NULL, duration_ms REAL NOT NULL, host TEXT NOT NULL,
  parent TEXT, config TEXT NOT NULL, tags TEXT NOT NULL, facets TEXT NOT NULL,
  invocations INTEGER NOT NULL, hits INTEGER NOT NULL, failed INTEGER NOT NULL,
  loops TEXT NOT NULL DEFAULT '[]');
CREATE TABLE IF NOT EXISTS scenario_invocations (
  rec INTEGER NOT NULL, ord INTEGER NOT NULL, step TEXT NOT NULL, iteration INTEGER,
  run TEXT, hit INTEGER NOT NULL, duration_ms REAL NOT NULL, status TEXT NOT NULL, error TEXT,
  log_stdout TEXT, log_stderr TEXT, PRIMARY KEY (rec, ord)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS scenario_tags (
  rec INTEGER NOT NULL, ord INTEGER NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (rec, ord)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS scenario_facets (
  rec INTEGER NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (rec, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS object_facts (
  id TEXT NOT NULL, kind TEXT NOT NULL, type TEXT, size INTEGER NOT NULL,
  stat TEXT NOT NULL, links TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS object_facts_id ON object_facts (${idKey("id")});
`;

/** Secondary indexes (made after the bulk load of a rebuild; see {@linkcode QUERY_INDEX_TABLES}). */
export const QUERY_INDEX_INDEXES = `
CREATE INDEX IF NOT EXISTS run_outputs_name ON run_outputs (name);
`;

/**
 * The views `cairn sql` reads (documented in README, "The query index"):
 *
 * - `runs`: one row per run of the lineage index, with its cache key and host (read
 *   from the summary's JSON, so a walk over `run_summaries` stays small; null for a
 *   summary written before they were kept, until `cairn reindex` writes it again);
 * - `artifacts`: one row per run output (an artifact made twice has two rows);
 * - `edges`: run → artifact, `direction` `in` (an input) or `out` (an output);
 * - `scenarios`: one row per scenario record reachable from a scenario ref;
 * - `invocations`: the step invocations of each scenario record, in order (a failed
 *   command's captured `log_stdout` and `log_stderr` blob ids);
 * - `facets`: the facets and tags of each scenario record (`tag` rows have no value).
 */
export const QUERY_INDEX_VIEWS = `
CREATE VIEW IF NOT EXISTS runs AS
  SELECT r.id, r.step, r.iteration, r.scenario, r.started_at, r.duration_ms,
    t.summary->>'key' AS key, t.summary->>'host' AS host
  FROM run_summaries r JOIN run_texts t ON t.seq = r.seq;
CREATE VIEW IF NOT EXISTS artifacts AS
  SELECT o.artifact AS id, o.name, o.kind, o.codec, o.size, r.id AS producer
  FROM run_outputs o JOIN run_summaries r ON r.seq = o.seq;
CREATE VIEW IF NOT EXISTS edges AS
  SELECT r.id AS run, 'in' AS direction, i.name, i.artifact
  FROM run_inputs i JOIN run_summaries r ON r.seq = i.seq WHERE i.artifact IS NOT NULL
  UNION ALL SELECT r.id, 'out', o.name, o.artifact
  FROM run_outputs o JOIN run_summaries r ON r.seq = o.seq;
CREATE VIEW IF NOT EXISTS scenarios AS
  SELECT id, name, status, started_at, ended_at, duration_ms, host, parent, config,
    invocations, hits, invocations - hits AS misses, failed, loops FROM scenario_records;
CREATE VIEW IF NOT EXISTS invocations AS
  SELECT r.id AS scenario_record, i.ord, i.step, i.iteration, i.run, i.hit, i.duration_ms,
    i.status, i.error, i.log_stdout, i.log_stderr
  FROM scenario_invocations i JOIN scenario_records r ON r.n = i.rec;
CREATE VIEW IF NOT EXISTS facets AS
  SELECT r.id AS scenario_record, 'facet' AS kind, f.name, f.value
  FROM scenario_facets f JOIN scenario_records r ON r.n = f.rec
  UNION ALL SELECT r.id, 'tag', t.tag, NULL
  FROM scenario_tags t JOIN scenario_records r ON r.n = t.rec;
`;

/** The tables (and views) a rebuild drops, in an order that works. */
export const QUERY_INDEX_OBJECTS = {
  indexes: ["run_outputs_name"],
  views: ["runs", "artifacts", "edges", "scenarios", "invocations", "facets"],
  tables: [
    "meta",
    "run_summaries",
    "run_texts",
    "run_outputs",
    "run_inputs",
    "produced",
    "consumed",
    "step_runs",
    "produced_recent",
    "consumed_recent",
    "step_runs_recent",
    "scenario_records",
    "scenario_invocations",
    "scenario_tags",
    "scenario_facets",
    "object_facts",
  ],
} as const;
