// Bad input, family "bytes": damaged object files, records that decode badly and
// garbled index lines. A damaged object must fail every read with
// IntegrityMismatch (never return its bytes); a record that hashes right but is
// not a record fails with InvalidObject; a garbled index line is never returned.
import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import * as Effect from "effect/Effect";
import { layoutOf, objectPath } from "../../store/layout.ts";
import type { ObjectKind } from "../../store/object_id.ts";
import { ObjectStore } from "../../store/object_store.ts";
import { encodeTree } from "../../store/tree.ts";
import {
  assertSameTree,
  assertSentence,
  damage,
  expectTyped,
  failureOf,
  garbledIndexLine,
  garbledRecordPayload,
  makeSandbox,
  removeSandbox,
  rngFor,
  snapshot,
  Tally,
  tmpLeftovers,
  where,
} from "./_bad_inputs.ts";

const DAMAGED = 120;
const GARBLED_RECORDS = 60;
const INDEXES = 100;
const tally = new Tally("bad_input_objects_test");
const te = new TextEncoder();

/** Overwrites an object file as a person or a disk error would (it is read-only). */
// Puts damaged bytes at an object's path (again: each read sets the damaged file aside).
const overwrite = (path: string, bytes: Uint8Array): void => {
  try {
    Deno.chmodSync(path, 0o644);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  Deno.writeFileSync(path, bytes);
  Deno.chmodSync(path, 0o444);
};

const quarantined = (store: string, id: string): number => {
  try {
    return [...Deno.readDirSync(`${store}/quarantine`)].filter((e) => e.name.startsWith(`${id}-`))
      .length;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return 0;
    throw e;
  }
};

Deno.test("every read of a damaged object fails with IntegrityMismatch, returns none of its bytes and sets it aside unless it may be a record", async () => {
  const r = rngFor("damaged-objects");
  const box = makeSandbox("damaged");
  const layout = layoutOf(box.store);
  try {
    const damagedIds: string[] = [];
    const program = Effect.gen(function* () {
      const store = yield* ObjectStore;
      const blobIds: string[] = [];
      for (let i = 0; i < 8; i++) {
        blobIds.push((yield* store.putBlob(r.bytes(r.int(3000)))).id);
      }
      for (let i = 0; i < DAMAGED; i++) {
        const kind = r.pick<ObjectKind>(["blob", "tree", "record"]);
        // A fresh object per case (the index makes it unique), so damage never stacks.
        const payload = kind === "blob"
          ? Uint8Array.from([
            ...r.bytes(r.chance(0.05) ? r.range(1 << 20, 3 << 20) : r.int(4000)),
            i & 255,
            i >> 8,
          ])
          : kind === "tree"
          ? encodeTree(
            Array.from({ length: r.range(1, 4) }, (_, j) => ({
              name: `e${j}-${i}`,
              mode: r.pick(["file", "executable"] as const),
              id: r.pick(blobIds),
            })),
          )
          : te.encode(JSON.stringify({ case: i, links: [r.pick(blobIds)], type: "note" }));
        const { id } = yield* store.put(kind, payload);
        const path = objectPath(layout, id);
        const other = Deno.readFileSync(objectPath(layout, r.pick(blobIds)));
        const hurt = damage(r, payload, other);
        const context = where("damaged object", i, `${kind} ${id}, ${hurt.kind}`);
        damagedIds.push(id);
        const before = snapshot(box.root, [box.store]);
        let received = 0;
        const reads: [string, Effect.Effect<unknown, unknown>][] = [
          ["identify", store.identify(id)],
          ["materialize", store.materialize(id, `${box.destParent}/out-${i}`)],
          [
            "materialize (kind given)",
            store.materialize(id, `${box.destParent}/out-${i}`, {
              kind,
              link: r.chance(0.5) ? "hardlink" : "copy",
            }),
          ],
          kind === "blob"
            ? ["readBlob", store.readBlob(id)]
            : kind === "tree"
            ? ["readTree", store.readTree(id)]
            : ["readRecord", store.readRecord(id)],
        ];
        if (kind === "blob") {
          reads.push(["streamBlob", store.streamBlob(id, (chunk) => (received += chunk.length))]);
        }
        for (const [n, [op, read]] of reads.entries()) {
          overwrite(path, hurt.bytes);
          const error = yield* failureOf(read, `${context} ${op}`);
          const message = expectTyped(
            error,
            "StoreError",
            ["IntegrityMismatch"],
            `${context} ${op}`,
          );
          assertSentence(message, context);
          assert.ok(message.includes(id) && message.includes(path), `${context}: ${message}`);
          assert.match(message, /cairn fsck --repair/, context);
          if (hurt.bytes[0] === 0x7b) {
            // It may be a record (a root, linking to what gc keeps): left where it is.
            assert.doesNotMatch(message, /set aside/, context);
            assert.ok(Deno.lstatSync(path).isFile, `${context}: left in place`);
            assert.equal(quarantined(box.store, id), 0, context);
          } else {
            assert.match(message, /set aside to ".*quarantine\//, context);
            assert.throws(
              () => Deno.lstatSync(path),
              Deno.errors.NotFound,
              `${context}: set aside`,
            );
            assert.equal(quarantined(box.store, id), n + 1, `${context}: in quarantine/`);
          }
          tally.add(`damaged ${kind}: ${op}`);
        }
        overwrite(path, hurt.bytes); // for fsck, below
        assertSameTree(before, snapshot(box.root, [box.store]), context);
        assert.deepEqual(tmpLeftovers(box.store), [], `${context}: scratch left in tmp/`);
      }
      const report = yield* store.fsck();
      const corrupt = new Set(
        report.problems.filter((p) => p.kind === "corrupt").map((p) => p.subject),
      );
      for (const id of damagedIds) assert.ok(corrupt.has(id), `fsck does not report ${id}`);
    });
    await Effect.runPromise(program.pipe(Effect.provide(ObjectStore.layer({ root: box.store }))));
  } finally {
    removeSandbox(box);
  }
});

Deno.test("a record object that hashes right but does not decode fails readRecord with InvalidObject naming it", async () => {
  const r = rngFor("garbled-records");
  const box = makeSandbox("garbled-record");
  try {
    const program = Effect.gen(function* () {
      const store = yield* ObjectStore;
      const ids: string[] = [];
      for (let i = 0; i < GARBLED_RECORDS; i++) {
        const { kind, payload } = garbledRecordPayload(r);
        const { id } = yield* store.put("record", payload);
        ids.push(id);
        const context = where(
          "garbled record",
          i,
          `${kind}: ${JSON.stringify(new TextDecoder().decode(payload))}`,
        );
        const error = yield* failureOf(store.readRecord(id), context);
        const message = expectTyped(error, "StoreError", ["InvalidObject"], context);
        assert.ok(
          message.startsWith(`Cannot decode object "${id}": not a record: `),
          `${context}: ${message}`,
        );
        tally.add(`garbled record: ${kind}`);
      }
      // fsck reports each one and does not stop at the first.
      const report = yield* store.fsck();
      const corrupt = new Set(
        report.problems.filter((p) => p.kind === "corrupt").map((p) => p.subject),
      );
      for (const id of ids) assert.ok(corrupt.has(id), `fsck does not report garbled record ${id}`);
    });
    await Effect.runPromise(program.pipe(Effect.provide(ObjectStore.layer({ root: box.store }))));
  } finally {
    removeSandbox(box);
  }
});

const checksum = (text: string): string => (crc32(text) >>> 0).toString(16).padStart(8, "0");

Deno.test("garbled index lines are skipped by their checksum, before and after compaction; valid entries around them survive", async () => {
  const r = rngFor("index-lines");
  const box = makeSandbox("index");
  const layout = layoutOf(box.store);
  try {
    const program = Effect.gen(function* () {
      const store = yield* ObjectStore;
      let expectedEntries = 0;
      for (let i = 0; i < INDEXES; i++) {
        const name = `garbled_${i}`;
        const expected = new Map<string, string[]>();
        const lines: string[] = [];
        const kinds: string[] = [];
        const keys = Array.from({ length: r.range(1, 4) }, () => r.word(1, 6));
        for (let n = r.range(2, 12); n > 0; n--) {
          const key = r.pick(keys);
          const value = `${r.word(1, 12)}-${n}${r.pick(["", " é", " 1 2", "✓"])}`;
          const line = `${key}\t${value}\t${checksum(`${key}\t${value}`)}`;
          lines.push(line);
          expected.set(key, [...(expected.get(key) ?? []), value]);
          expectedEntries++;
          for (let g = r.chance(0.7) ? r.range(1, 2) : 0; g > 0; g--) {
            const garbled = garbledIndexLine(r, line, checksum);
            lines.push(garbled.line);
            kinds.push(garbled.kind);
          }
        }
        // Optionally a torn last write: half a line with no checksum, no newline after it.
        const torn = r.chance(0.3) ? `${r.word()}\tpartial` : "";
        const file = `${layout.index}/${name}.log`;
        Deno.mkdirSync(layout.index, { recursive: true });
        Deno.writeTextFileSync(
          file,
          lines.map((l) => `\n${l}`).join("") + (torn ? `\n${torn}` : ""),
        );
        const context = where(
          "index",
          i,
          `garbled: ${kinds.join(", ") || "none"}${torn ? ", torn tail" : ""}`,
        );
        const index = store.index(name);
        const read = yield* index.snapshot();
        assert.deepEqual(new Map(read), expected, `${context}: snapshot`);
        for (const [key, values] of expected) {
          assert.equal(yield* index.get(key), values[values.length - 1], `${context}: get ${key}`);
          assert.deepEqual(yield* index.getAll(key), values, `${context}: getAll ${key}`);
        }
        assert.equal(yield* index.get("never-written"), undefined, context);
        // An append after a torn tail is read back.
        yield* index.append("after", "torn");
        assert.equal(yield* index.get("after"), "torn", `${context}: append after the tail`);
        expected.set("after", ["torn"]);
        expectedEntries++;
        yield* index.compact();
        const text = Deno.readTextFileSync(file);
        for (const line of text.split("\n").filter((l) => l.length > 0)) {
          const last = line.lastIndexOf("\t");
          assert.equal(
            checksum(line.slice(0, last)),
            line.slice(last + 1),
            `${context}: compaction kept ${JSON.stringify(line)}`,
          );
        }
        assert.deepEqual(
          new Map(yield* store.index(name).snapshot()),
          expected,
          `${context}: after compaction`,
        );
        for (const kind of kinds) tally.add(`index line: ${kind}`);
        if (torn) tally.add("index line: torn tail");
      }
      const report = yield* store.fsck();
      assert.equal(report.indexEntries, expectedEntries, "fsck counts only entries that check");
    });
    await Effect.runPromise(program.pipe(Effect.provide(ObjectStore.layer({ root: box.store }))));
  } finally {
    removeSandbox(box);
  }
});

Deno.test("bad_input_objects_test: seed and case counts", () => {
  tally.print();
  assert.ok(tally.total >= DAMAGED * 4 + GARBLED_RECORDS);
});
