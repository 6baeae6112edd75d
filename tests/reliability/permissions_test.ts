// Permissions: objects stay read-only however they arrive and after gc; materialize
// never replaces an existing destination unless asked; and nothing follows a
// symbolic link out of the store — a planted link never makes a read return
// outside bytes as an object, and never makes a write land outside.
import assert from "node:assert/strict";
import * as Effect from "effect/Effect";
import { Dir, File, Json, Pipeline, step } from "../../mod.ts";
import { hashObject } from "../../store/object_id.ts";
import { layoutOf, objectPath } from "../../store/layout.ts";
import { ObjectStore, type ObjectStoreApi } from "../../store/object_store.ts";
import {
  assertSameTree,
  expectTyped,
  failureOf,
  makeSandbox,
  removeSandbox,
  type Sandbox,
  snapshot,
} from "./_bad_inputs.ts";

Deno.env.set("CAIRN_PROGRESS", "0");

const te = new TextEncoder();
const td = new TextDecoder();

/** Every object file under `store` with its mode. */
const objectModes = (store: string): [string, number][] => {
  const out: [string, number][] = [];
  for (const shard of Deno.readDirSync(`${store}/objects`)) {
    for (const file of Deno.readDirSync(`${store}/objects/${shard.name}`)) {
      const path = `${store}/objects/${shard.name}/${file.name}`;
      out.push([path, Deno.lstatSync(path).mode! & 0o777]);
    }
  }
  return out;
};

const assertReadOnlyObjects = (store: string, when: string): number => {
  const modes = objectModes(store);
  assert.ok(modes.length > 0, `${when}: no objects`);
  for (const [path, mode] of modes) {
    assert.equal(mode & 0o222, 0, `${when}: ${path} has mode ${mode.toString(8)}`);
  }
  return modes.length;
};

/** Runs `f` with the store API over a fresh sandbox. */
const withBox = async (
  name: string,
  f: (store: ObjectStoreApi, box: Sandbox) => Effect.Effect<void, unknown>,
): Promise<void> => {
  const box = makeSandbox(name);
  try {
    await Effect.runPromise(
      Effect.gen(function* () {
        yield* f(yield* ObjectStore, box);
      }).pipe(Effect.provide(ObjectStore.layer({ root: box.store }))),
    );
  } finally {
    removeSandbox(box);
  }
};

const outputs = step({
  name: "permission_outputs",
  version: "1",
  outputs: { value: Json, file: File, dir: Dir },
  run: (_inputs, _config, ctx) => {
    Deno.writeTextFileSync(`${ctx.outDir}/file`, "a file output\n");
    Deno.chmodSync(`${ctx.outDir}/file`, 0o666);
    Deno.mkdirSync(`${ctx.outDir}/dir/sub`, { recursive: true });
    Deno.writeTextFileSync(`${ctx.outDir}/dir/sub/x.txt`, "x\n");
    Deno.writeTextFileSync(`${ctx.outDir}/dir/run.sh`, "#!/bin/sh\n", { mode: 0o777 });
    Deno.chmodSync(`${ctx.outDir}/dir/run.sh`, 0o777);
    return { value: { n: 1 } };
  },
});

Deno.test("objects have no write bits after put, file and directory ingest (copied or moved), step outputs, gc and compaction", async () => {
  const box = makeSandbox("modes");
  try {
    const src = `${box.root}/src`;
    Deno.mkdirSync(`${src}/tree/sub`, { recursive: true });
    for (const [name, mode] of [["plain", 0o644], ["exec", 0o755], ["open", 0o666]] as const) {
      Deno.writeTextFileSync(`${src}/${name}`, `file ${name}\n`);
      Deno.chmodSync(`${src}/${name}`, mode);
      Deno.writeTextFileSync(`${src}/tree/sub/${name}`, `tree ${name}\n`);
      Deno.chmodSync(`${src}/tree/sub/${name}`, mode);
    }
    await Effect.runPromise(
      Effect.gen(function* () {
        const { store } = yield* Pipeline;
        yield* store.putBlob(te.encode("bytes"));
        yield* store.put("tree", new Uint8Array());
        yield* store.putRecord({ type: "note" });
        assertReadOnlyObjects(box.store, "after put");
        yield* store.putFile(`${src}/plain`);
        yield* store.putFile(`${src}/open`, { move: true });
        yield* store.putFile(`${src}/exec`, { move: true });
        assertReadOnlyObjects(box.store, "after putFile");
        Deno.mkdirSync(`${src}/copy`);
        Deno.copyFileSync(`${src}/tree/sub/open`, `${src}/copy/open`);
        Deno.chmodSync(`${src}/copy/open`, 0o666);
        yield* store.putDir(`${src}/copy`);
        yield* store.putDir(`${src}/tree`, { move: true });
        assertReadOnlyObjects(box.store, "after putDir");
        const made = yield* outputs({});
        assertReadOnlyObjects(box.store, "after a step's outputs are ingested");
        // A hard-linked materialization shares the object's inode, so it is read-only too.
        yield* store.materialize(made.dir.id, `${box.destParent}/dir`, { link: "hardlink" });
        const linked = Deno.lstatSync(`${box.destParent}/dir/sub/x.txt`);
        assert.equal(linked.mode! & 0o222, 0, "a linked file is read-only");
        const garbage = (yield* store.putBlob(te.encode("garbage"))).id;
        yield* store.updateRef("keep", made.value.id, { message: "keep" });
        // This process's session keeps what it wrote; gc still rewrites the indexes.
        yield* store.gc({ graceMs: 0 });
        void garbage;
        assertReadOnlyObjects(box.store, "after gc");
        yield* store.index("cache").compact();
        assertReadOnlyObjects(box.store, "after compaction");
        const fsck = yield* store.fsck();
        assert.deepEqual(fsck.problems.filter((p) => p.kind === "writable"), []);
      }).pipe(Effect.provide(Pipeline.layerDisk({ root: box.store }))),
    );
  } finally {
    removeSandbox(box);
  }
});

Deno.test("materialize never replaces an existing file, directory or link unless overwrite is set, and never writes through the link", () =>
  withBox("overwrite", (store, box) =>
    Effect.gen(function* () {
      const blob = (yield* store.putBlob(te.encode("new bytes\n"))).id;
      const dir = `${box.destParent}/exists-dir`;
      Deno.mkdirSync(`${dir}/inner`, { recursive: true });
      Deno.writeTextFileSync(`${dir}/inner/old.txt`, "old\n");
      Deno.writeTextFileSync(`${box.destParent}/exists.txt`, "old\n");
      Deno.symlinkSync(`${box.outside}/not-there`, `${box.destParent}/dangling`);
      Deno.symlinkSync(`${box.outside}/dir`, `${box.destParent}/to-outside-dir`);
      Deno.symlinkSync(`${box.outside}/secret.txt`, `${box.destParent}/to-outside-file`);
      const dests = ["exists.txt", "exists-dir", "dangling", "to-outside-dir", "to-outside-file"];
      const before = snapshot(box.root, [box.store]);
      for (const name of dests) {
        const dest = `${box.destParent}/${name}`;
        for (const options of [{}, { overwrite: false }, { link: "hardlink" as const }]) {
          const error = yield* failureOf(store.materialize(blob, dest, options), name);
          const message = expectTyped(error, "StoreError", ["DestinationExists"], name);
          assert.equal(
            message,
            `Cannot materialize into "${dest}": it already exists; choose a new path or pass overwrite: true`,
          );
        }
      }
      assertSameTree(before, snapshot(box.root, [box.store]), "refused materialize");
      const outside = snapshot(box.outside);
      for (const name of dests) {
        const dest = `${box.destParent}/${name}`;
        yield* store.materialize(blob, dest, { overwrite: true });
        const info = Deno.lstatSync(dest);
        assert.ok(info.isFile, `${name} is now a regular file, not a link`);
        assert.equal(Deno.readTextFileSync(dest), "new bytes\n");
      }
      assertSameTree(outside, snapshot(box.outside), "overwrite replaced links, not their targets");
    })));

/** Bytes, their blob id, the id's shard directory and object path in `store`. */
const planned = (store: string, text: string) => {
  const bytes = te.encode(text);
  const id = hashObject("blob", bytes);
  const layout = layoutOf(store);
  return { bytes, id, shard: `${layout.objects}/${id.slice(0, 2)}`, path: objectPath(layout, id) };
};

Deno.test("a shard directory that is a link out of the store is neither read as objects nor written through", () =>
  withBox("shard-link", (store, box) =>
    Effect.gen(function* () {
      const { bytes, id, shard, path } = planned(box.store, `shard ${Math.random()}`);
      Deno.mkdirSync(shard, { recursive: true });
      Deno.removeSync(shard, { recursive: true }); // made by the store's own first put
      Deno.symlinkSync(`${box.outside}/dir`, shard);
      // Outside bytes planted where the object would be: never returned as it.
      Deno.writeTextFileSync(`${box.outside}/dir/${id.slice(2)}`, "outside bytes\n");
      const before = snapshot(box.outside);
      const read = yield* failureOf(store.readBlob(id), "read through shard link");
      expectTyped(read, "StoreError", ["IntegrityMismatch", "UnsafePath"], "read");
      const write = yield* failureOf(store.putBlob(bytes), "write through shard link");
      const message = expectTyped(write, "StoreError", ["UnsafePath"], "write");
      assert.ok(message.includes(shard), message);
      assertSameTree(before, snapshot(box.outside), "write through a linked shard");
      assert.ok(Deno.lstatSync(shard).isSymlink && !Deno.lstatSync(path).isSymlink);
    })));

Deno.test("a tmp directory, or any store directory, that is a link out of the store is refused at open", async () => {
  for (const part of ["tmp", "objects", "refs", "logs", "index"]) {
    const box = makeSandbox(`link-${part}`);
    try {
      await Effect.runPromise(Effect.provide(Effect.void, ObjectStore.layer({ root: box.store })));
      Deno.removeSync(`${box.store}/${part}`, { recursive: true });
      Deno.mkdirSync(`${box.outside}/${part}`);
      Deno.symlinkSync(`${box.outside}/${part}`, `${box.store}/${part}`);
      const before = snapshot(box.outside);
      const error = await Effect.runPromise(
        failureOf(
          Effect.provide(
            ObjectStore.use((s) => s.putBlob(te.encode(`via ${part}`))),
            ObjectStore.layer({ root: box.store }),
          ),
          part,
        ),
      );
      const message = expectTyped(error, "StoreError", ["UnsupportedStore"], part);
      assert.ok(message.includes(`"${part}"`) && /symbolic link/.test(message), message);
      assertSameTree(before, snapshot(box.outside), `write through a linked ${part}/`);
    } finally {
      removeSandbox(box);
    }
  }
});

Deno.test("an object path that is a link out of the store: wrong bytes fail, right bytes are verified and never materialize as a link, a put replaces the link", () =>
  withBox("object-link", (store, box) =>
    Effect.gen(function* () {
      const wrong = planned(box.store, `wrong ${Math.random()}`);
      Deno.mkdirSync(wrong.shard, { recursive: true });
      Deno.symlinkSync(`${box.outside}/secret.txt`, wrong.path);
      for (
        const [op, effect] of [
          ["readBlob", Effect.asVoid(store.readBlob(wrong.id))],
          ["identify", Effect.asVoid(store.identify(wrong.id))],
          ["materialize", Effect.asVoid(store.materialize(wrong.id, `${box.destParent}/w`))],
        ] as const
      ) {
        const error = yield* failureOf(effect, op);
        expectTyped(error, "StoreError", ["IntegrityMismatch"], op);
      }
      // The right bytes, kept outside: a read is verified (content addressing), but
      // materialize must not hand out a link to the outside file.
      const right = planned(box.store, `right ${Math.random()}`);
      Deno.writeFileSync(`${box.outside}/right.bin`, right.bytes);
      Deno.mkdirSync(right.shard, { recursive: true });
      Deno.symlinkSync(`${box.outside}/right.bin`, right.path);
      assert.equal(td.decode(yield* store.readBlob(right.id)), td.decode(right.bytes));
      yield* store.materialize(right.id, `${box.destParent}/r`);
      const made = Deno.lstatSync(`${box.destParent}/r`);
      assert.ok(made.isFile && !made.isSymlink, "materialized a regular file, not the link");
      assert.notEqual(made.ino, Deno.statSync(`${box.outside}/right.bin`).ino);
      // fsck reports the link; a put of the same bytes replaces it with a real object
      // without touching the outside file.
      const report = yield* store.fsck();
      assert.ok(report.problems.some((p) => p.subject.endsWith(right.id.slice(2))), "fsck sees it");
      const outside = snapshot(box.outside);
      yield* store.putBlob(right.bytes);
      assertSameTree(outside, snapshot(box.outside), "a put touched the link's target");
      const now = Deno.lstatSync(right.path);
      assert.ok(now.isFile && !now.isSymlink, "the object is a real file again");
      assert.equal(now.mode! & 0o222, 0);
    })));

Deno.test("refs, reflogs and indexes never write through a link out of the store", () =>
  withBox("ref-link", (store, box) =>
    Effect.gen(function* () {
      const id = (yield* store.putBlob(te.encode("target"))).id;
      const layout = layoutOf(box.store);
      // A ref file that is a link: an update replaces the link, not its target.
      Deno.mkdirSync(`${layout.refs}/scenarios`, { recursive: true });
      Deno.symlinkSync(`${box.outside}/secret.txt`, `${layout.refs}/scenarios/ref-link`);
      // A reflog that is a link: refused, not appended to.
      Deno.mkdirSync(`${layout.logs}/scenarios`, { recursive: true });
      Deno.symlinkSync(`${box.outside}/secret.txt`, `${layout.logs}/scenarios/log-link`);
      // A ref directory that is a link.
      Deno.symlinkSync(`${box.outside}/dir`, `${layout.refs}/linked-dir`);
      // An index that is a link.
      Deno.symlinkSync(`${box.outside}/secret.txt`, `${layout.index}/linked.log`);
      const before = snapshot(box.outside);
      const outcomes: [string, Effect.Effect<unknown, unknown>][] = [
        [
          "update a ref whose reflog is a link",
          store.updateRef("scenarios/log-link", id, { message: "x" }),
        ],
        [
          "update a ref under a linked directory",
          store.updateRef("linked-dir/x", id, { message: "x" }),
        ],
        ["append to a linked index", store.index("linked").append("k", "v")],
        ["read a linked index", store.index("linked").get("k")],
      ];
      for (const [what, effect] of outcomes) {
        const error = yield* failureOf(effect, what);
        const message = expectTyped(error, "StoreError", ["UnsafePath"], what);
        assert.match(message, /symbolic link/, `${what}: ${message}`);
      }
      yield* store.updateRef("scenarios/ref-link", id, { message: "replaces the link" });
      const ref = Deno.lstatSync(`${layout.refs}/scenarios/ref-link`);
      assert.ok(ref.isFile && !ref.isSymlink, "the ref is a real file now");
      assert.equal(yield* store.readRef("scenarios/ref-link"), id);
      assertSameTree(before, snapshot(box.outside), "a write went through a link");
    })));
