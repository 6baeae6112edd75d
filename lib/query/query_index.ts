/**
 * The query index (`index/query.sqlite`, see `lib/model/query_index_schema.ts`):
 * opened by a query, brought up to date from the logs' tails and the scenario refs
 * in one write transaction, then read with indexed lookups. Writers never touch it:
 * a pipeline only appends to the logs, and the next query absorbs what it appended.
 *
 * It can always be rebuilt, so it is never trusted blindly: a file of another
 * schema, a lineage log that was rewritten (compacted or pruned by gc) or shorter
 * than what was absorbed starts the absorbing over; a file SQLite calls corrupt is
 * deleted and made again; a store where it cannot be written (read-only) gets one
 * in memory, built from the logs for this process alone. A kill at any moment
 * leaves the last committed state (WAL mode), which the next query goes on from.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import * as Effect from "effect/Effect";
import type * as Scope from "effect/Scope";
import { ObjectStore, type ObjectStoreApi } from "../../store/object_store.ts";
import type { StoreError } from "../../store/errors.ts";
import {
  QUERY_INDEX_FILE,
  QUERY_INDEX_INDEXES,
  QUERY_INDEX_OBJECTS,
  QUERY_INDEX_SCHEMA,
  QUERY_INDEX_TABLES,
  QUERY_INDEX_VIEWS,
} from "../model/query_index_schema.ts";
import { absorbLineage, type LineageMark } from "./_absorb_lineage.ts";
import { absorbScenarios } from "./_absorb_scenarios.ts";
import { IndexedView } from "./indexed_view.ts";
import {
  BUSY,
  Busy,
  closeQuietly,
  CORRUPT,
  LOCK_WAIT,
  LOCKED,
  NOTADB,
  openDb,
  removeDb,
  sqliteCode,
} from "./_sqlite.ts";

/** Options of {@linkcode openQueryIndex}. */
export interface QueryIndexOptions {
  /** Drop what was absorbed and read everything again (`cairn reindex`). */
  readonly rebuild?: boolean;
  /** Show a progress bar on stderr while a large log is read (default: when stderr is a terminal). */
  readonly progress?: boolean;
  /**
   * How many lookups of one kind a walk makes before the view reads that table whole
   * (default: a sixty-fourth of the runs, at least 1,000); for tests of both ways.
   */
  readonly lookupBudget?: number;
  /**
   * How many rows an edge table's recent part may hold before a catch-up moves them
   * into its older part (default: an eighth of the older part's rows, at least 4,096);
   * for tests of both ways.
   */
  readonly recentRows?: number;
}

/** An open query index. */
export interface QueryIndex {
  /** The lineage view it answers, with indexed lookups. */
  readonly view: IndexedView;
  /** The database (for read-only SQL); closed with the scope. */
  readonly db: DatabaseSync;
  /** The file, or null when the store cannot be written and the index lives in memory. */
  readonly path: string | null;
}

const meta = (db: DatabaseSync, key: string): string | undefined =>
  (db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined)
    ?.value;

const hasMeta = (db: DatabaseSync): boolean =>
  db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !==
    undefined;

// A new schema: every table and view dropped and made again (inside the transaction).
const recreate = (db: DatabaseSync): void => {
  for (const view of QUERY_INDEX_OBJECTS.views) db.exec(`DROP VIEW IF EXISTS ${view}`);
  for (const table of QUERY_INDEX_OBJECTS.tables) db.exec(`DROP TABLE IF EXISTS ${table}`);
  db.exec(QUERY_INDEX_TABLES);
  db.exec(QUERY_INDEX_VIEWS);
  db.prepare("INSERT INTO meta (key, value) VALUES ('schema', ?)").run(QUERY_INDEX_SCHEMA);
};

const progressBar = (enabled: boolean) => {
  let shown = -1;
  const encoder = new TextEncoder();
  const write = (text: string) => {
    try {
      Deno.stderr.writeSync(encoder.encode(text));
    } catch {
      // A closed stderr must not stop the query.
    }
  };
  return {
    // Only for a rebuild of a log big enough to take a noticeable time.
    update: (done: number, total: number, from: number) => {
      if (!enabled || from !== 0 || total < 4 << 20) return;
      const percent = Math.floor((done / total) * 100);
      if (percent === shown) return;
      shown = percent;
      const width = 30;
      const filled = Math.round((percent / 100) * width);
      write(
        `\rindexing the store ${"█".repeat(filled)}${"░".repeat(width - filled)} ${percent}%`,
      );
    },
    done: () => {
      if (shown >= 0) write("\r\x1b[K");
    },
  };
};

// One catch-up, inside a write transaction (BEGIN IMMEDIATE: one process at a time;
// a second one waits, then finds little or nothing left to absorb).
const catchUp = (
  store: ObjectStoreApi,
  db: DatabaseSync,
  options: QueryIndexOptions,
): Effect.Effect<void, StoreError | Busy> =>
  Effect.gen(function* () {
    try {
      db.exec("BEGIN IMMEDIATE");
    } catch (e) {
      const code = sqliteCode(e);
      if (code === BUSY || code === LOCKED) return yield* Effect.fail(new Busy());
      throw e;
    }
    let committed = false;
    try {
      if (!hasMeta(db) || meta(db, "schema") !== QUERY_INDEX_SCHEMA) recreate(db);
      const fresh = options.rebuild === true;
      const ino = meta(db, "lineage.ino");
      // -1: no file was ever absorbed, so whatever is there is read from the start.
      const mark: LineageMark = fresh || ino === undefined ? { ino: -1, end: 0, seq: 0 } : {
        ino: ino === "" ? null : Number(ino),
        end: Number(meta(db, "lineage.end") ?? 0),
        seq: Number(meta(db, "lineage.seq") ?? 0),
      };
      const bar = progressBar(options.progress ?? Deno.stderr.isTerminal());
      const from = mark.end;
      const recent = options.recentRows;
      yield* absorbLineage(
        store,
        db,
        mark,
        (done, total) => bar.update(done, total, from),
        recent === undefined ? undefined : () => recent,
      ).pipe(Effect.ensuring(Effect.sync(bar.done)));
      if (fresh) {
        for (const t of ["scenario_invocations", "scenario_tags", "scenario_facets"]) {
          db.exec(`DELETE FROM ${t}`);
        }
        db.exec("DELETE FROM scenario_records");
      }
      yield* absorbScenarios(store, db);
      db.exec(QUERY_INDEX_INDEXES);
      db.exec("COMMIT");
      committed = true;
    } finally {
      if (!committed) {
        try {
          db.exec("ROLLBACK");
        } catch {
          // Already rolled back by SQLite (a failed statement can end the transaction).
        }
      }
    }
  });

// Opens the file and catches up; a corrupt file is replaced once; a store that
// cannot hold the file (read-only, full) gets an index in memory.
const openAndCatchUp = (
  store: ObjectStoreApi,
  options: QueryIndexOptions,
): Effect.Effect<{ db: DatabaseSync; path: string | null }, StoreError> => {
  const path = `${store.root}/index/${QUERY_INDEX_FILE}`;
  const attempt = (file: string | null): Effect.Effect<DatabaseSync, StoreError | unknown> =>
    Effect.suspend(() => {
      const db = file === null ? new DatabaseSync(":memory:") : openDb(file);
      return catchUp(store, db, options).pipe(
        Effect.retry({ while: (e) => e instanceof Busy, schedule: LOCK_WAIT }),
        Effect.as(db),
        Effect.onError(() => Effect.sync(() => closeQuietly(db))),
      );
    }).pipe(
      // A defect thrown by SQLite (or by opening the file) comes out as a failure to judge.
      Effect.catchDefect((e) => Effect.fail(e)),
    );
  const inMemory = attempt(null).pipe(
    Effect.catchIf(
      (e): e is unknown => !isStoreError(e),
      (e) => Effect.die(e),
    ),
  ) as Effect.Effect<DatabaseSync, StoreError>;
  const onFile = attempt(path).pipe(
    Effect.catchIf(
      (e): e is unknown => !isStoreError(e) && isCorrupt(e),
      () => Effect.suspend(() => (removeDb(path), attempt(path))),
    ),
  );
  return onFile.pipe(
    Effect.map((db) => ({ db, path: path as string | null })),
    Effect.catchIf(
      (e): e is unknown => !isStoreError(e),
      () => Effect.map(inMemory, (db) => ({ db, path: null })),
    ),
  ) as Effect.Effect<{ db: DatabaseSync; path: string | null }, StoreError>;
};

const isStoreError = (e: unknown): e is StoreError =>
  (e as { _tag?: unknown } | null)?._tag === "StoreError";

const isCorrupt = (e: unknown): boolean => {
  const code = sqliteCode(e);
  return code === CORRUPT || code === NOTADB;
};

/**
 * Opens the store's query index, brought up to date; closed when the scope ends.
 *
 * @example Indexed lineage lookups
 * ```ts
 * import assert from "node:assert/strict"
 * import { Effect } from "effect"
 * import { ObjectStore } from "cairn"
 * import { openQueryIndex } from "cairn/query"
 *
 * const runs = await Effect.runPromise(
 *   Effect.scoped(Effect.map(openQueryIndex(), (index) => index.view.runs.size)).pipe(
 *     Effect.provide(ObjectStore.layerTemp),
 *   ),
 * )
 * assert.equal(runs, 0)
 * ```
 */
export const openQueryIndex = (
  options: QueryIndexOptions = {},
): Effect.Effect<QueryIndex, StoreError, ObjectStore | Scope.Scope> =>
  Effect.gen(function* () {
    const store = yield* ObjectStore;
    const { db, path } = yield* Effect.acquireRelease(
      openAndCatchUp(store, options),
      ({ db }) => Effect.sync(() => closeQuietly(db)),
    );
    const view = new IndexedView(
      db,
      options.lookupBudget === undefined ? {} : { lookupBudget: options.lookupBudget },
    );
    return { view, db, path };
  });
