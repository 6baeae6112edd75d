import assert from "node:assert/strict";
import { Effect, Layer } from "effect";
import { ObjectStore } from "../../store/object_store.ts";
import { StoreError } from "../../store/errors.ts";

const enc = new TextEncoder();
const runTemp = <A, E>(program: Effect.Effect<A, E, ObjectStore>) =>
  Effect.runPromise(program.pipe(Effect.provide(ObjectStore.layerTemp)));

Deno.test("ObjectStore.layerTemp gives a working store and removes it on release", async () => {
  const root = await runTemp(Effect.gen(function* () {
    const store = yield* ObjectStore;
    const { id } = yield* store.putBlob(enc.encode("hello"));
    assert.deepEqual(yield* store.readBlob(id), enc.encode("hello"));
    assert.equal(yield* store.has(id), true);
    assert.equal(yield* store.resolve(id.slice(0, 8)), id);
    return store.root;
  }));
  assert.throws(() => Deno.statSync(root), Deno.errors.NotFound);
});

Deno.test("ObjectStore failures arrive as StoreError with a reason tag in the error channel", async () => {
  const tags = await runTemp(Effect.gen(function* () {
    const store = yield* ObjectStore;
    const missing = yield* Effect.flip(store.readBlob("ab".repeat(32)));
    const badRef = yield* Effect.flip(store.updateRef("../x", "ab".repeat(32), { message: "m" }));
    const badRecord = yield* Effect.flip(store.putRecord({ type: "run", x: NaN }));
    const noMatch = yield* Effect.flip(store.resolve("ffff"));
    return [missing, badRef, badRecord, noMatch].map((e) => {
      assert.ok(e instanceof StoreError);
      assert.match(e.message, /^Cannot /);
      return e.reason._tag;
    });
  }));
  assert.deepEqual(tags, ["ObjectNotFound", "InvalidRefName", "InvalidInput", "AmbiguousId"]);
});

Deno.test("ObjectStore errors can be recovered by reason with catchReason", async () => {
  const value = await runTemp(Effect.gen(function* () {
    const store = yield* ObjectStore;
    return yield* store.readRecord("cd".repeat(32)).pipe(
      Effect.as("found"),
      Effect.catchReason("StoreError", "ObjectNotFound", () => Effect.succeed("absent")),
    );
  }));
  assert.equal(value, "absent");
});

Deno.test("ObjectStore.layer opens the store at CAIRN_STORE and refuses another format version", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.env.set("CAIRN_STORE", `${dir}/env-store`);
    const root = await Effect.runPromise(
      ObjectStore.use((s) => Effect.succeed(s.root)).pipe(Effect.provide(ObjectStore.layer())),
    );
    assert.equal(root, `${dir}/env-store`);
    Deno.writeTextFileSync(`${dir}/env-store/format`, "cairn-store 7\n");
    const error = await Effect.runPromise(
      Effect.flip(
        ObjectStore.use((s) => Effect.succeed(s.root)).pipe(Effect.provide(ObjectStore.layer())),
      ),
    );
    assert.equal(error.reason._tag, "UnsupportedStore");
  } finally {
    Deno.env.delete("CAIRN_STORE");
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("ObjectStore index handles, refs and the stat cache work through the service", async () => {
  await runTemp(Effect.gen(function* () {
    const store = yield* ObjectStore;
    const run = yield* store.putRecord({ type: "run", step: "a" });
    const cache = store.index("cache");
    yield* cache.append("key", run.id);
    assert.equal(yield* cache.get("key"), run.id);
    yield* store.updateRef("scenarios/x", run.id, { message: "m", expected: null });
    assert.deepEqual((yield* store.listRefs()).map((r) => r.name), ["scenarios/x"]);
    assert.equal((yield* store.reflog("scenarios/x")).length, 1);
    const file = `${store.root}/../input.txt`;
    Deno.writeTextFileSync(file, "input");
    const first = yield* store.fileId(file);
    const blob = yield* store.putBlob(enc.encode("input"));
    assert.equal(first.id, blob.id);
    const report = yield* store.fsck();
    assert.equal(report.ok, true);
  }));
});

Deno.test("two ObjectStore layers on one directory share objects", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const layer = ObjectStore.layer({ root: dir + "/s" });
    const id = await Effect.runPromise(
      ObjectStore.use((s) => s.putBlob(enc.encode("shared"))).pipe(Effect.provide(layer)),
    );
    const again = await Effect.runPromise(
      ObjectStore.use((s) => s.readBlob(id.id)).pipe(Effect.provide(Layer.fresh(layer))),
    );
    assert.deepEqual(again, enc.encode("shared"));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
