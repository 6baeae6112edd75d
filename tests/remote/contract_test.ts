// The store contract on the S3 backend, against a real radosgw (see _server.ts):
// every store in its own prefix of one bucket. The S3 store lacks fsck and repair:
// the contract checks that they are refused with Unsupported (its gc runs the gc case).
import assert from "node:assert/strict";
import { HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import * as Result from "effect/Result";
import type { StoreError } from "../../store/errors.ts";
import { hashObject } from "../../store/object_id.ts";
import { ObjectStore, type ObjectStoreApi } from "../../store/object_store.ts";
import { layerS3 } from "../../store/s3/layer_s3.ts";
import { storeContract } from "../store/contract/store_contract.ts";
import { guarded, remoteTest, remoteTestOptions, s3Server } from "./_server.ts";

export const BUCKET = "cairn-contract";

storeContract({
  name: "s3",
  lacks: ["fsck"],
  testOptions: remoteTestOptions(),
  guard: guarded,
  fresh: () => {
    const server = s3Server();
    return {
      layer: layerS3({
        bucket: BUCKET,
        prefix: `contract/${crypto.randomUUID()}`,
        endpoint: server.endpoint,
        credentials: server.credentials,
      }),
      dispose: () => {},
    };
  },
  corrupt: async (store, id, bytes) => {
    // store.root is s3://<bucket>/<prefix>
    const prefix = store.root.slice(`s3://${BUCKET}/`.length);
    await s3Server().client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `${prefix}/objects/${id.slice(0, 2)}/${id.slice(2)}`,
        Body: bytes,
      }),
    );
  },
});

// What only a store shared by many machines must also do, on the same server.

const te = new TextEncoder();

const use = <A, E>(f: (store: ObjectStoreApi) => Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    return yield* f(yield* ObjectStore);
  });

const freshLayer = () =>
  layerS3({
    bucket: BUCKET,
    prefix: `remote/${crypto.randomUUID()}`,
    endpoint: s3Server().endpoint,
    credentials: s3Server().credentials,
  });

// Each writer its own session and S3 client, as 16 machines would be.
const sixteen = <A, E>(
  layer: Layer.Layer<ObjectStore, StoreError>,
  program: (i: number) => Effect.Effect<A, E, ObjectStore>,
) =>
  Effect.all(
    Array.from({ length: 16 }, (_, i) =>
      Effect.result(Effect.provide(program(i), Layer.fresh(layer)))),
    { concurrency: "unbounded" },
  );

const run = <A>(
  layer: Layer.Layer<ObjectStore, StoreError>,
  program: Effect.Effect<A, unknown, ObjectStore>,
) => Effect.runPromise(Effect.provide(program, layer) as Effect.Effect<A>);

remoteTest(
  "16 concurrent create-only ref creations: exactly one wins, the others get RefConflict",
  async () => {
    const layer = freshLayer();
    const ids = await run(
      layer,
      Effect.forEach(Array.from({ length: 16 }, (_, i) => i), (i) =>
        Effect.map(
          use((s) => s.putBlob(te.encode(`v${i}`))),
          (r) => r.id,
        )),
    );
    const results = await Effect.runPromise(
      sixteen(
        layer,
        (i) =>
          use(
            (s) =>
              s.updateRef("scenarios/shared", ids[i]!, { expected: null, message: `create ${i}` }),
          ),
      ),
    );
    const winners = results.flatMap((r, i) => (Result.isSuccess(r) ? [i] : []));
    assert.equal(winners.length, 1, `winners: ${winners}`);
    for (const r of results) {
      if (Result.isFailure(r)) {
        assert.equal((r.failure as StoreError).reason._tag, "RefConflict");
      }
    }
    const [ref, log] = await run(
      layer,
      use(
        (s) => Effect.all([s.readRef("scenarios/shared"), s.reflog("scenarios/shared")]),
      ),
    );
    assert.equal(ref, ids[winners[0]!]);
    assert.deepEqual(log.map((e) => [e.old, e.new, e.message]), [[
      null,
      ref,
      `create ${winners[0]}`,
    ]]);
  },
);

remoteTest("16 concurrent compare-and-swap updates from one value: exactly one wins", async () => {
  const layer = freshLayer();
  const ids = await run(
    layer,
    Effect.forEach(Array.from({ length: 17 }, (_, i) => i), (i) =>
      Effect.map(
        use((s) => s.putBlob(te.encode(`w${i}`))),
        (r) => r.id,
      )),
  );
  const base = ids[16]!;
  await run(
    layer,
    use(
      (s) => s.updateRef("scenarios/cas", base, { expected: null, message: "base" }),
    ),
  );
  const results = await Effect.runPromise(
    sixteen(
      layer,
      (i) =>
        use(
          (s) => s.updateRef("scenarios/cas", ids[i]!, { expected: base, message: `move ${i}` }),
        ),
    ),
  );
  const winners = results.flatMap((r, i) => (Result.isSuccess(r) ? [i] : []));
  assert.equal(winners.length, 1, `winners: ${winners}`);
  const [ref, log] = await run(
    layer,
    use(
      (s) => Effect.all([s.readRef("scenarios/cas"), s.reflog("scenarios/cas")]),
    ),
  );
  assert.equal(ref, ids[winners[0]!]);
  assert.deepEqual(log.map((e) => [e.old, e.new]), [[null, base], [base, ref]]);
});

remoteTest(
  "16 concurrent unconditional updates all land, and the reflog chains every one",
  async () => {
    const layer = freshLayer();
    const ids = await run(
      layer,
      Effect.forEach(Array.from({ length: 16 }, (_, i) => i), (i) =>
        Effect.map(
          use((s) => s.putBlob(te.encode(`u${i}`))),
          (r) => r.id,
        )),
    );
    const results = await Effect.runPromise(
      sixteen(
        layer,
        (i) =>
          use(
            (s) => s.updateRef("scenarios/busy", ids[i]!, { message: `set ${i}` }),
          ),
      ),
    );
    assert.ok(results.every(Result.isSuccess));
    const [ref, log] = await run(
      layer,
      use(
        (s) => Effect.all([s.readRef("scenarios/busy"), s.reflog("scenarios/busy")]),
      ),
    );
    assert.equal(log.length, 16);
    assert.deepEqual(new Set(log.map((e) => e.new)), new Set(ids), "every update logged once");
    assert.equal(log[0]!.old, null);
    for (let i = 1; i < log.length; i++) assert.equal(log[i]!.old, log[i - 1]!.new, `entry ${i}`);
    assert.equal(ref, log.at(-1)!.new);
  },
);

remoteTest(
  "a blob and a file over 16 MiB go by multipart upload and read back verified",
  async () => {
    const layer = freshLayer();
    const big = new Uint8Array(20 * 1024 * 1024 + 3).map((_, i) => (i * 31) % 253);
    const dir = await Deno.makeTempDir({ prefix: "cairn-remote-" });
    try {
      await Deno.writeFile(`${dir}/big.bin`, big.map((b) => b ^ 1));
      const out = await run(
        layer,
        Effect.gen(function* () {
          const store = yield* ObjectStore;
          const blob = yield* store.putBlob(big);
          const again = yield* store.putBlob(big);
          const file = yield* store.putFile(`${dir}/big.bin`);
          return {
            blob,
            again,
            file,
            read: yield* store.readBlob(blob.id),
            fileBytes: yield* store.readBlob(file.id),
            root: store.root,
          };
        }),
      );
      assert.equal(out.blob.id, hashObject("blob", big));
      assert.equal(out.blob.written, true);
      assert.equal(out.again.written, false);
      assert.deepEqual(out.read, big);
      assert.equal(out.file.id, hashObject("blob", big.map((b) => b ^ 1)));
      assert.deepEqual(out.fileBytes, big.map((b) => b ^ 1));
      const prefix = out.root.slice(`s3://${BUCKET}/`.length);
      const head = await s3Server().client.send(
        new HeadObjectCommand({
          Bucket: BUCKET,
          Key: `${prefix}/objects/${out.blob.id.slice(0, 2)}/${out.blob.id.slice(2)}`,
        }),
      );
      assert.match(head.ETag ?? "", /-3"?$/, "uploaded in three parts");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

remoteTest(
  "a store under another format is refused; the layout is under the prefix only",
  async () => {
    const prefix = `remote/${crypto.randomUUID()}`;
    const layer = layerS3({
      bucket: BUCKET,
      prefix,
      endpoint: s3Server().endpoint,
      credentials: s3Server().credentials,
    });
    const id = await run(
      layer,
      Effect.gen(function* () {
        const store = yield* ObjectStore;
        const { id } = yield* store.putBlob(te.encode("laid out"));
        yield* store.updateRef("scenarios/a", id, { message: "m" });
        yield* store.index("cache").append("k".repeat(64), id);
        return id;
      }),
    );
    const listed = await s3Server().client.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/` }),
    );
    const keys = (listed.Contents ?? []).map((o) => o.Key!.slice(prefix.length + 1)).sort();
    assert.equal(keys.length, 5);
    assert.equal(keys[0], "format");
    assert.ok(keys[1]!.startsWith(`index/cache/${"k".repeat(64)}/`) && keys[1]!.endsWith(`.${id}`));
    assert.deepEqual(keys.slice(2), [
      "logs/scenarios/a/.000000000001",
      `objects/${id.slice(0, 2)}/${id.slice(2)}`,
      "refs/scenarios/a",
    ]);
    await s3Server().client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}/format`, Body: "cairn-store 9 s3\n" }),
    );
    const error = await Effect.runPromise(
      Effect.flip(Effect.provide(use(Effect.succeed), layer)),
    );
    assert.equal(error.reason._tag, "UnsupportedStore");
    assert.match(error.message, /cairn-store 9 s3/);
  },
);

remoteTest(
  "a long index value is its entry's body, named by its digest: a body changed on the server is rejected, not read",
  async () => {
    const prefix = `remote/${crypto.randomUUID()}`;
    const layer = layerS3({
      bucket: BUCKET,
      prefix,
      endpoint: s3Server().endpoint,
      credentials: s3Server().credentials,
    });
    const long = `${"ab".repeat(32)} ${
      JSON.stringify({ out: ["cd".repeat(32), "blob", "json", 1] })
    }`;
    await run(layer, use((s) => s.index("cache").append("k", long)));
    const listed = await s3Server().client.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/index/cache/` }),
    );
    const key = listed.Contents![0]!.Key!;
    assert.match(key, /\.~~[0-9a-f]{64}$/, "the key names the value by its digest");
    assert.equal(await run(layer, use((s) => s.index("cache").get("k"))), long);
    await s3Server().client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: long.replace("json", "text") }),
    );
    assert.equal(await run(layer, use((s) => s.index("cache").get("k"))), undefined);
    const compacted = await run(layer, use((s) => s.index("cache").compact()));
    assert.equal(compacted.rejected, 1, "counted as damaged");
  },
);
