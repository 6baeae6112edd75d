// checkStore keeps the object facts a pass learns in the query index, and the next
// quick pass trusts them for unchanged files: a fact altered in the database (a link
// the record does not have) is what the quick pass reports, and a full pass reads
// the bytes and writes the truth back.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { Effect } from "effect";
import { ObjectStore } from "../../../mod.ts";
import { checkStore } from "../../../lib/query/mod.ts";

const later = () => Date.now() + 10_000;

Deno.test("checkStore() keeps what it learns in the query index; a quick pass trusts it, a full one reads", () =>
  Effect.runPromise(
    Effect.gen(function* () {
      const store = yield* ObjectStore;
      const data = (yield* store.putBlob(new TextEncoder().encode("data"))).id;
      const run = (yield* store.putRecord({ type: "run", links: [data] })).id;
      yield* store.updateRef("scenarios/s", run, { message: "test" });
      assert.deepEqual((yield* checkStore({ quick: true, nowMs: later() })).problems, []);
      const db = new DatabaseSync(`${store.root}/index/query.sqlite`);
      try {
        const rows = db.prepare("SELECT id, kind, type, links FROM object_facts ORDER BY id").all();
        assert.deepEqual(
          rows.map((r) => [r.id, r.kind, r.type, r.links]).sort(),
          [[data, "blob", null, ""], [run, "record", "run", data]].sort(),
        );
        const ghost = "e".repeat(64);
        db.prepare("UPDATE object_facts SET links = ? WHERE id = ?").run(data + ghost, run);
        const quick = yield* checkStore({ quick: true, nowMs: later() });
        assert.deepEqual(quick.problems.map((p) => [p.kind, p.subject]), [["missing", ghost]]);
        assert.deepEqual((yield* checkStore({ nowMs: later() })).problems, []);
        const fixed = db.prepare("SELECT links FROM object_facts WHERE id = ?").get(run);
        assert.equal(fixed?.links, data);
      } finally {
        db.close();
      }
    }).pipe(Effect.provide(ObjectStore.layerTemp)),
  ));
