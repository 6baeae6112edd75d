// The store contract: every behaviour of the `ObjectStore` service that the pipeline
// layer relies on, written once against the service alone, and run on every backend
// (the disk store now; every later backend too). A backend passes by providing a layer
// for a fresh, empty store and, for the damage cases, a way to corrupt one object.
import assert from "node:assert/strict";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import { ObjectStore, type ObjectStoreApi } from "../../../store/object_store.ts";
import { StoreError } from "../../../store/errors.ts";
import { hashObject } from "../../../store/object_id.ts";
import { encodeTree } from "../../../store/tree.ts";

/** A fresh, empty store of a backend. */
export interface FreshStore {
  /** Opens the store (each time it is provided: a new session, as another process would). */
  readonly layer: Layer.Layer<ObjectStore, StoreError>;
  readonly dispose: () => void;
}

/** What a backend gives the contract. */
export interface Backend {
  readonly name: string;
  /** A fresh, empty store (each call a new one). */
  readonly fresh: () => FreshStore;
  /** Replaces the stored bytes of object `id` with `bytes` (bypassing the store's checks). */
  readonly corrupt: (store: ObjectStoreApi, id: string, bytes: Uint8Array) => Promise<void>;
  /**
   * Operations the backend does not offer. Their contract cases do not run; in their
   * place the contract checks that the operation is refused with `Unsupported` (a
   * message saying so), never pretended: `fsck` covers fsck and repair.
   */
  readonly lacks?: readonly Capability[];
  /** Extra Deno.test options (sanitizers, ignore when the backend is not available). */
  readonly testOptions?: Omit<Deno.TestDefinition, "name" | "fn">;
  /** Wraps each test's body (a backend that needs a server says why it cannot run). */
  readonly guard?: (fn: () => Promise<void>) => () => Promise<void>;
}

/** An operation a backend may lack. */
export type Capability = "materialize" | "putFile" | "gc" | "fsck";

const te = new TextEncoder();
const td = new TextDecoder();

const reasonOf = (e: unknown): string => {
  assert.ok(e instanceof StoreError, `expected a StoreError, got ${e}`);
  return e.reason._tag;
};

/** Registers the contract's tests for `backend`. */
export const storeContract = (backend: Backend): void => {
  const lacks = new Set(backend.lacks ?? []);
  /** Runs `program` against the same store in a session of its own, ended when it returns. */
  type Reopen = <A, E>(
    program: Effect.Effect<A, E, ObjectStore>,
  ) => Effect.Effect<A, E | StoreError>;
  const test = (
    name: string,
    body: (store: ObjectStoreApi, reopen: Reopen) => Effect.Effect<void, unknown>,
    needs?: Capability,
  ) =>
    Deno.test({
      ...backend.testOptions,
      name: `[${backend.name}] ${name}`,
      ignore: (backend.testOptions?.ignore ?? false) || (needs !== undefined && lacks.has(needs)),
      fn: (backend.guard ?? ((fn) => fn))(async () => {
        const fresh = backend.fresh();
        // Layer.fresh: provided layers are memoised, and this must be another session.
        const reopen: Reopen = (program) => Effect.provide(program, Layer.fresh(fresh.layer));
        try {
          await Effect.runPromise(
            Effect.gen(function* () {
              yield* body(yield* ObjectStore, reopen);
            }).pipe(Effect.provide(fresh.layer)) as Effect.Effect<void, unknown>,
          );
        } finally {
          fresh.dispose();
        }
      }),
    });

  /** For a lacked capability: the operation is refused with `Unsupported`, never pretended. */
  const refused = (
    capability: Capability,
    ops: (store: ObjectStoreApi, dir: string) => Effect.Effect<unknown, StoreError>[],
  ) => {
    if (!lacks.has(capability)) return;
    test(`it lacks ${capability}: the operation is refused with Unsupported, saying so`, (store) =>
      Effect.gen(function* () {
        const dir = Deno.makeTempDirSync({ prefix: "cairn-contract-" });
        try {
          Deno.writeTextFileSync(`${dir}/a.txt`, "alpha");
          for (const op of ops(store, dir)) {
            const error = yield* Effect.flip(op);
            assert.equal(reasonOf(error), "Unsupported");
            assert.match(error.message, /^Cannot .+ on ".+": /);
          }
        } finally {
          Deno.removeSync(dir, { recursive: true });
        }
      }));
  };
  refused("gc", (store) => [store.gc({ dryRun: true })]);
  refused("fsck", (store) => [store.fsck(), store.repair()]);
  refused("putFile", (store, dir) => [store.putFile(`${dir}/a.txt`), store.putDir(dir)]);
  refused("materialize", (store, dir) => [store.materialize("ab".repeat(32), `${dir}/out`)]);

  test("a put returns the content id; the same bytes give the same id and write nothing", (store) =>
    Effect.gen(function* () {
      const bytes = te.encode("zone,population\n1,1200\n");
      const first = yield* store.putBlob(bytes);
      assert.equal(first.id, hashObject("blob", bytes));
      assert.equal(first.written, true);
      assert.equal(first.size, bytes.length);
      const again = yield* store.putBlob(bytes);
      assert.equal(again.id, first.id);
      assert.equal(again.written, false);
      assert.deepEqual(yield* store.readBlob(first.id), bytes);
      assert.equal(yield* store.has(first.id), true);
      assert.equal(yield* store.identify(first.id), "blob");
    }));

  test("trees and records round-trip, and identify proves their kind", (store) =>
    Effect.gen(function* () {
      const a = yield* store.putBlob(te.encode("a"));
      const tree = yield* store.put(
        "tree",
        encodeTree([{ name: "a.txt", mode: "file", id: a.id }]),
      );
      assert.deepEqual(yield* store.readTree(tree.id), [
        { name: "a.txt", mode: "file", id: a.id },
      ]);
      assert.equal(yield* store.identify(tree.id), "tree");
      const record = yield* store.putRecord({ type: "note", text: "hi", links: [tree.id] });
      assert.deepEqual(yield* store.readRecord(record.id), {
        type: "note",
        text: "hi",
        links: [tree.id],
      });
      assert.equal(yield* store.identify(record.id), "record");
      const ids = yield* store.listObjects();
      assert.deepEqual([...ids].sort(), [a.id, tree.id, record.id].sort());
    }));

  test("reads of absent ids fail with ObjectNotFound; a unique prefix resolves", (store) =>
    Effect.gen(function* () {
      const missing = "ab".repeat(32);
      assert.equal(reasonOf(yield* Effect.flip(store.readBlob(missing))), "ObjectNotFound");
      assert.equal(reasonOf(yield* Effect.flip(store.readRecord(missing))), "ObjectNotFound");
      assert.equal(yield* store.has(missing), false);
      const { id } = yield* store.putBlob(te.encode("prefix"));
      assert.equal(yield* store.resolve(id.slice(0, 10)), id);
      assert.equal(reasonOf(yield* Effect.flip(store.resolve("0000"))), "AmbiguousId");
      assert.equal(reasonOf(yield* Effect.flip(store.resolve("xyz"))), "InvalidInput");
    }));

  test("missing() names exactly the absent ids, in the order given, few or many to a fan-out directory", (store) =>
    Effect.gen(function* () {
      const present: string[] = [];
      for (let i = 0; i < 3; i++) present.push((yield* store.putBlob(te.encode(`m${i}`))).id);
      // Absent ids beside the first present one (so a backend that lists a directory
      // for many ids takes that path), and one alone in its own directory.
      const fan = present[0]!.slice(0, 2);
      const crowd = Array.from({ length: 12 }, (_, i) => fan + i.toString(16).padStart(62, "f"));
      const alone = (fan === "00" ? "01" : "00") + "e".repeat(62);
      const asked = [crowd[0]!, present[0]!, ...crowd.slice(1), present[1]!, alone, present[2]!];
      assert.deepEqual(yield* store.missing(asked), [...crowd, alone]);
      assert.deepEqual(yield* store.missing(present), []);
      assert.deepEqual(yield* store.missing([]), []);
    }));

  test("every read is verified: a damaged object fails with IntegrityMismatch and is never returned", (store) =>
    Effect.gen(function* () {
      const bytes = te.encode("precious results");
      const { id } = yield* store.putBlob(bytes);
      yield* Effect.promise(() => backend.corrupt(store, id, te.encode("precious resulTs")));
      const error = yield* Effect.flip(store.readBlob(id));
      assert.ok(
        ["IntegrityMismatch", "ObjectNotFound"].includes(reasonOf(error)),
        `got ${reasonOf(error)}`,
      );
      yield* Effect.promise(() => backend.corrupt(store, id, te.encode("precious resulTs")));
      let streamed = 0;
      const streamError = yield* Effect.flip(
        store.streamBlob(id, (chunk) => (streamed += chunk.length)),
      );
      assert.equal(reasonOf(streamError), "IntegrityMismatch");
      assert.equal(yield* store.verify(id, "blob"), false);
      // The right bytes, put again, repair it.
      yield* store.putBlob(bytes);
      assert.deepEqual(yield* store.readBlob(id), bytes);
      assert.equal(yield* store.verify(id, "blob"), true);
    }));

  test("an intact object read as the wrong kind fails with InvalidObject and stays", (store) =>
    Effect.gen(function* () {
      const { id } = yield* store.putBlob(te.encode('{"type":"note"}'));
      assert.equal(reasonOf(yield* Effect.flip(store.readRecord(id))), "InvalidObject");
      assert.equal(td.decode(yield* store.readBlob(id)), '{"type":"note"}');
    }));

  test("streamBlob delivers every byte of a multi-chunk blob and returns its size", (store) =>
    Effect.gen(function* () {
      const big = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 7) % 251);
      const { id } = yield* store.putBlob(big);
      const chunks: Uint8Array[] = [];
      const size = yield* store.streamBlob(id, (chunk) => chunks.push(chunk.slice()));
      assert.equal(size, big.length);
      const joined = new Uint8Array(size);
      let offset = 0;
      for (const c of chunks) {
        joined.set(c, offset);
        offset += c.length;
      }
      assert.deepEqual(joined, big);
    }));

  test("refs: create, compare-and-swap, conflict, delete — each logged in the reflog", (store) =>
    Effect.gen(function* () {
      const a = (yield* store.putBlob(te.encode("a"))).id;
      const b = (yield* store.putBlob(te.encode("b"))).id;
      assert.equal(yield* store.readRef("scenarios/x"), null);
      yield* store.updateRef("scenarios/x", a, { expected: null, message: "create" });
      assert.equal(yield* store.readRef("scenarios/x"), a);
      const conflict = yield* Effect.flip(
        store.updateRef("scenarios/x", b, { expected: b, message: "wrong expectation" }),
      );
      assert.equal(reasonOf(conflict), "RefConflict");
      assert.equal(yield* store.readRef("scenarios/x"), a, "a failed CAS changes nothing");
      yield* store.updateRef("scenarios/x", b, { expected: a, message: "move" });
      yield* store.updateRef("scenarios/y", a, { message: "other" });
      assert.deepEqual(yield* store.listRefs("scenarios/"), [
        { name: "scenarios/x", id: b },
        { name: "scenarios/y", id: a },
      ]);
      yield* store.updateRef("scenarios/x", null, { expected: b, message: "delete" });
      assert.equal(yield* store.readRef("scenarios/x"), null);
      const log = yield* store.reflog("scenarios/x");
      assert.deepEqual(
        log.map((e) => [e.old, e.new, e.message]),
        [[null, a, "create"], [a, b, "move"], [b, null, "delete"]],
      );
      assert.equal(reasonOf(yield* Effect.flip(store.readRef("../x"))), "InvalidRefName");
    }));

  test("indexes: append, get (the newest value), getAll (oldest first), appendMany, snapshot", (store) =>
    Effect.gen(function* () {
      const index = store.index("contract");
      assert.equal(yield* index.get("k"), undefined);
      yield* index.append("k", "one");
      yield* index.append("k", "two");
      yield* index.appendMany([["j", "x"], ["k", "three"]]);
      assert.equal(yield* index.get("k"), "three");
      assert.deepEqual(yield* index.getAll("k"), ["one", "two", "three"]);
      const snapshot = yield* index.snapshot();
      assert.deepEqual(snapshot.get("j"), ["x"]);
      assert.deepEqual(snapshot.get("k"), ["one", "two", "three"]);
    }));

  test("index tails: a copy that resumes from the end it read (or starts again when the inode changes) sees every new entry once", (store) =>
    Effect.gen(function* () {
      const index = store.index("tails");
      yield* index.append("a", "1");
      const first = yield* index.tail(0);
      assert.deepEqual(first.entries, [["a", "1"]]);
      // Nothing new: nothing more, under the same inode.
      const still = yield* index.tail(first.end);
      assert.equal(still.ino, first.ino);
      assert.deepEqual(still.entries, []);
      yield* index.appendMany([["b", "2"], ["a", "3"]]);
      // A copy absorbs from where it stopped, or, when the inode changed, from the start.
      const next = yield* index.tail(first.end);
      const copy = next.ino === first.ino
        ? [...first.entries, ...next.entries]
        : [...(yield* index.tail(0)).entries];
      assert.deepEqual(
        [...copy].sort((x, y) => (x.join() < y.join() ? -1 : 1)),
        [["a", "1"], ["a", "3"], ["b", "2"]],
      );
    }));

  test("indexes keep long values whole: a cache entry naming several outputs round-trips", (store) =>
    Effect.gen(function* () {
      const id = "ab".repeat(32);
      const outputs = Object.fromEntries(
        ["a", "b", "c", "d", "e", "f"].map((n) => [n, [id, "blob", "json", 12345]]),
      );
      const long = `${id} ${JSON.stringify(outputs)}`;
      const index = store.index("contract-long");
      yield* index.append("cd".repeat(32), "short");
      yield* index.append("cd".repeat(32), long);
      assert.equal(yield* index.get("cd".repeat(32)), long);
      assert.deepEqual(yield* index.getAll("cd".repeat(32)), ["short", long]);
      assert.deepEqual((yield* index.snapshot()).get("cd".repeat(32)), ["short", long]);
    }));

  test("cuts: links recorded as cut on purpose read back by the record they were cut from", (store) =>
    Effect.gen(function* () {
      const [r, p, q] = ["a1", "b2", "c3"].map((h) => h.repeat(32)) as [string, string, string];
      assert.deepEqual(yield* store.cuts(), new Map());
      yield* store.addCuts([[r, p]]);
      yield* store.addCuts([[r, p], [r, q], [q, p]]);
      const cuts = yield* store.cuts();
      assert.deepEqual(
        [...cuts].map(([from, tos]) => [from, [...tos].sort()]).sort(),
        [[q, [p]], [r, [p, q].sort()]].sort(),
      );
      // Cuts are not index entries anyone else reads, nor objects.
      assert.deepEqual(yield* store.listObjects(), []);
    }));

  test("protect reports whether the ids are present", (store) =>
    Effect.gen(function* () {
      const { id } = yield* store.putBlob(te.encode("kept"));
      assert.equal(yield* store.protect([id]), true);
      assert.equal(yield* store.protect([id, "ef".repeat(32)]), false);
    }));

  test(
    "a lease is one holder's while its scope lasts, and free once the scope closes",
    (store, reopen) =>
      Effect.gen(function* () {
        const name = "ab".repeat(32);
        const mine = yield* Effect.scoped(Effect.gen(function* () {
          const lease = yield* store.lease(name);
          assert.ok(lease, "a free lease is taken");
          assert.equal(yield* lease.held, true);
          const other = yield* reopen(Effect.scoped(Effect.gen(function* () {
            return yield* (yield* ObjectStore).lease(name);
          })));
          assert.equal(other, undefined, "another session cannot take a held lease");
          const holder = yield* store.leaseHolder(name);
          assert.equal(holder?.pid, Deno.pid);
          return lease;
        }));
        assert.equal(yield* mine.held, false, "released with its scope");
        assert.equal(yield* store.leaseHolder(name), undefined);
        const again = yield* reopen(Effect.scoped(Effect.gen(function* () {
          const lease = yield* (yield* ObjectStore).lease(name);
          return lease === undefined ? false : yield* lease.held;
        })));
        assert.equal(again, true, "a released lease is taken by the next");
        const bad = yield* Effect.flip(Effect.scoped(store.lease("../escape")));
        assert.equal(reasonOf(bad), "InvalidInput");
      }),
  );

  test(
    "gc keeps what refs reach and sweeps unreachable objects past the grace period",
    (store, reopen) =>
      Effect.gen(function* () {
        // Written by another session that has ended, as a finished pipeline's would be.
        const { leaf, tree, root, garbage } = yield* reopen(Effect.gen(function* () {
          const other = yield* ObjectStore;
          const leaf = (yield* other.putBlob(te.encode("leaf"))).id;
          const tree = (yield* other.put(
            "tree",
            encodeTree([{ name: "leaf", mode: "file", id: leaf }]),
          )).id;
          const root = (yield* other.putRecord({ type: "note", links: [tree] })).id;
          const garbage = (yield* other.putBlob(te.encode("garbage"))).id;
          yield* other.updateRef("keep", root, { message: "keep" });
          return { leaf, tree, root, garbage };
        }));
        const later = Date.now() + 3_600_000;
        const young = yield* store.gc({ dryRun: true, nowMs: later - 3_600_000 - 60_000 });
        assert.equal(young.objectsRemoved, 0, "nothing is past the grace period yet");
        const dry = yield* store.gc({ dryRun: true, graceMs: 0, nowMs: later });
        assert.equal(dry.objectsRemoved, 1);
        assert.equal(yield* store.has(garbage), true, "a dry run removes nothing");
        const report = yield* store.gc({ graceMs: 0, nowMs: later });
        assert.equal(report.objectsRemoved, 1);
        assert.equal(yield* store.has(garbage), false);
        for (const id of [leaf, tree, root]) assert.equal(yield* store.has(id), true, id);
      }),
    "gc",
  );

  test(
    "materialize writes a blob as a file and a tree as a directory, verified",
    (store) =>
      Effect.gen(function* () {
        const dir = Deno.makeTempDirSync({ prefix: "cairn-contract-" });
        try {
          const a = (yield* store.putBlob(te.encode("alpha"))).id;
          const tree = (yield* store.put(
            "tree",
            encodeTree([{ name: "a.txt", mode: "file", id: a }]),
          )).id;
          const result = yield* store.materialize(tree, `${dir}/out`);
          assert.equal(result.kind, "tree");
          assert.equal(Deno.readTextFileSync(`${dir}/out/a.txt`), "alpha");
          const exists = yield* Effect.flip(store.materialize(a, `${dir}/out`));
          assert.equal(reasonOf(exists), "DestinationExists");
        } finally {
          Deno.removeSync(dir, { recursive: true });
        }
      }),
    "materialize",
  );

  test(
    "putFile and putDir ingest files and directories as blobs and trees",
    (store) =>
      Effect.gen(function* () {
        const dir = Deno.makeTempDirSync({ prefix: "cairn-contract-" });
        try {
          Deno.mkdirSync(`${dir}/d/sub`, { recursive: true });
          Deno.writeTextFileSync(`${dir}/d/a.txt`, "alpha");
          Deno.writeTextFileSync(`${dir}/d/sub/b.txt`, "beta");
          const file = yield* store.putFile(`${dir}/d/a.txt`);
          assert.equal(file.id, hashObject("blob", te.encode("alpha")));
          const tree = yield* store.putDir(`${dir}/d`);
          const entries = yield* store.readTree(tree.id);
          assert.deepEqual(entries.map((e) => [e.name, e.mode]), [
            ["a.txt", "file"],
            ["sub", "directory"],
          ]);
        } finally {
          Deno.removeSync(dir, { recursive: true });
        }
      }),
    "putFile",
  );
};
