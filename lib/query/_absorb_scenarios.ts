// Bringing the query index's copy of the scenario records up to date: the records
// reachable from the scenario refs that it lacks, and dropping those no history
// reaches any more. Runs inside the caller's write transaction.
import type { DatabaseSync } from "node:sqlite";
import * as Effect from "effect/Effect";
import type { ObjectStoreApi } from "../../store/object_store.ts";
import type { StoreError } from "../../store/errors.ts";
import { encodeCanonicalJson, type JsonValue } from "../../store/canonical_json.ts";
import { decodeScenarioRecord, type ScenarioRecord } from "../model/scenario_record.ts";
import type { StoreRecord } from "../../store/record.ts";
import { bulkInsert } from "./_bulk_insert.ts";

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
         parent, config, tags, facets, invocations, hits, failed, loops)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const invocations = bulkInsert(db, "scenario_invocations", [
      "rec",
      "ord",
      "step",
      "iteration",
      "run",
      "hit",
      "duration_ms",
      "status",
      "error",
      "log_stdout",
      "log_stderr",
    ]);
    const tag = db.prepare("INSERT INTO scenario_tags (rec, ord, tag) VALUES (?, ?, ?)");
    const facet = db.prepare("INSERT INTO scenario_facets (rec, name, value) VALUES (?, ?, ?)");
    const heads = yield* store.listRefs("scenarios/");
    for (const { id: head } of heads) {
      for (let id: string | null = head; id !== null && known.get(id) === undefined;) {
        const record: StoreRecord | undefined = yield* store.readRecord(id).pipe(
          Effect.orElseSucceed(() => undefined),
        );
        const r: ScenarioRecord | undefined = record ? decodeScenarioRecord(record) : undefined;
        if (!r) break;
        let hits = 0;
        let failed = 0;
        for (const inv of r.invocations) {
          if (inv.hit) hits++;
          if (inv.status === "failed") failed++;
        }
        const rec = insert.run(
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
          hits,
          failed,
          JSON.stringify(r.loops ?? []),
        ).lastInsertRowid;
        r.invocations.forEach((inv, ord) =>
          invocations.add(
            rec,
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
        invocations.flush();
        r.tags.forEach((t, ord) => tag.run(rec, ord, t));
        for (const [name, value] of Object.entries(r.facets)) {
          facet.run(rec, name, canonical(value));
        }
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
    const all = db.prepare("SELECT n, id FROM scenario_records").all() as {
      n: number;
      id: string;
    }[];
    for (const { n, id } of all) {
      if (live.has(id)) continue;
      for (const table of ["scenario_invocations", "scenario_tags", "scenario_facets"]) {
        db.prepare(`DELETE FROM ${table} WHERE rec = ?`).run(n);
      }
      db.prepare("DELETE FROM scenario_records WHERE n = ?").run(n);
    }
  });
