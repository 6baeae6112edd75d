// The object facts gc and fsck keep between passes (store/object_facts.ts), in the
// query index's `object_facts` table: read whole when a pass first asks, written back
// in one transaction when it ends. The file is opened without catching the index up
// (gc need not wait for the lineage log to be absorbed); one of another schema, or
// one that cannot be opened or written, leaves the pass without facts (it reads every
// object, as before) — they are a cache.
import type { DatabaseSync } from "node:sqlite";
import * as Effect from "effect/Effect";
import { ObjectStore } from "../../store/object_store.ts";
import type { ObjectId, ObjectKind } from "../../store/object_id.ts";
import type { ObjectFact, ObjectFacts } from "../../store/object_facts.ts";
import {
  idKey,
  QUERY_INDEX_FILE,
  QUERY_INDEX_SCHEMA,
  QUERY_INDEX_TABLES,
  QUERY_INDEX_VIEWS,
} from "../model/query_index_schema.ts";
import { bulkInsert } from "./_bulk_insert.ts";
import { BUSY, Busy, closeQuietly, LOCK_WAIT, LOCKED, openDb, sqliteCode } from "./_sqlite.ts";

// Rows as arrays: node:sqlite makes them faster than objects (its types lag).
type Row = [string, string, string | null, number, string, string];

const splitLinks = (links: string): ObjectId[] => {
  const out: ObjectId[] = [];
  for (let at = 0; at + 64 <= links.length; at += 64) out.push(links.slice(at, at + 64));
  return out;
};

class KeptFacts implements ObjectFacts {
  readonly #db: DatabaseSync;
  #known: Map<ObjectId, ObjectFact> | undefined;
  readonly learned = new Map<ObjectId, ObjectFact>();
  readonly forgotten = new Set<ObjectId>();

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  #all(): Map<ObjectId, ObjectFact> {
    if (this.#known) return this.#known;
    const known = new Map<ObjectId, ObjectFact>();
    let rows: Row[];
    try {
      const statement = this.#db.prepare(
        "SELECT id, kind, type, size, stat, links FROM object_facts",
      );
      (statement as unknown as { setReturnArrays(on: boolean): void }).setReturnArrays(true);
      rows = statement.all() as unknown as Row[];
    } catch {
      // Unreadable facts are no facts: the pass reads every object.
      rows = [];
    }
    for (const [id, kind, type, size, stat, links] of rows) {
      known.set(id, {
        kind: kind as ObjectKind,
        size,
        stat,
        links: links === "" ? [] : splitLinks(links),
        ...(type !== null ? { type } : {}),
      });
    }
    return (this.#known = known);
  }

  get = (id: ObjectId): ObjectFact | undefined =>
    this.forgotten.has(id) ? undefined : this.learned.get(id) ?? this.#all().get(id);

  learn = (id: ObjectId, fact: ObjectFact): void => {
    this.forgotten.delete(id);
    this.learned.set(id, fact);
  };

  forget = (id: ObjectId): void => {
    this.learned.delete(id);
    if (this.#all().has(id)) this.forgotten.add(id);
  };

  save(): void {
    if (this.learned.size === 0 && this.forgotten.size === 0) return;
    const insert = bulkInsert(
      this.#db,
      "object_facts",
      ["id", "kind", "type", "size", "stat", "links"],
      "INSERT OR REPLACE",
    );
    for (const [id, f] of this.learned) {
      insert.add(id, f.kind, f.type ?? null, f.size, f.stat, f.links.join(""));
    }
    insert.flush();
    const drop = this.#db.prepare(
      `DELETE FROM object_facts WHERE ${idKey("id")} = ${idKey("?1")} AND id = ?1`,
    );
    for (const id of this.forgotten) drop.run(id);
  }
}

// Opens the index's file for facts: made (empty) when there is none, left alone when
// it has another schema. Undefined when there are no facts to keep.
const open = (path: string): DatabaseSync | undefined => {
  let db: DatabaseSync | undefined;
  try {
    db = openDb(path);
    const meta = db.prepare(
      "SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
    ).get();
    if (meta === undefined) {
      db.exec("BEGIN IMMEDIATE");
      db.exec(QUERY_INDEX_TABLES);
      db.exec(QUERY_INDEX_VIEWS);
      db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)")
        .run(QUERY_INDEX_SCHEMA);
      db.exec("COMMIT");
    }
    const schema = db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as
      | { value: string }
      | undefined;
    if (schema?.value !== QUERY_INDEX_SCHEMA) {
      closeQuietly(db);
      return undefined;
    }
    return db;
  } catch {
    // Read-only, full, corrupt, locked for long: a pass without facts.
    if (db) closeQuietly(db);
    return undefined;
  }
};

// Writes what the pass learned, in one write transaction (retried while another
// process holds the lock); a failure only costs the next pass the reads.
const save = (db: DatabaseSync, facts: KeptFacts): Effect.Effect<void> =>
  Effect.suspend(() => {
    try {
      db.exec("BEGIN IMMEDIATE");
    } catch (e) {
      const code = sqliteCode(e);
      return code === BUSY || code === LOCKED ? Effect.fail(new Busy()) : Effect.void;
    }
    try {
      facts.save();
      db.exec("COMMIT");
    } catch {
      try {
        db.exec("ROLLBACK");
      } catch {
        // Rolled back already.
      }
    }
    return Effect.void;
  }).pipe(
    Effect.retry({ schedule: LOCK_WAIT, times: 100 }),
    Effect.catch(() => Effect.void),
  );

/**
 * Runs `use` with the store's object facts (undefined when none can be kept), then
 * keeps what it learned.
 */
export const withObjectFacts = <A, E, R>(
  use: (facts: ObjectFacts | undefined) => Effect.Effect<A, E, R>,
): Effect.Effect<A, E, R | ObjectStore> =>
  Effect.gen(function* () {
    const store = yield* ObjectStore;
    return yield* Effect.acquireUseRelease(
      Effect.sync(() => open(`${store.root}/index/${QUERY_INDEX_FILE}`)),
      (db) => {
        if (!db) return use(undefined);
        const facts = new KeptFacts(db);
        return Effect.tap(use(facts), () => save(db, facts));
      },
      (db) => Effect.sync(() => db && closeQuietly(db)),
    );
  });
