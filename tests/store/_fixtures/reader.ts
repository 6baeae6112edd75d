// Child process that only reads: opens an existing store (create: false) and
// reports what it finds.
//
// Usage: reader.ts <root> <count> <missing id>
//
// Prints JSON: the SHA-256 of the payload of each blob `simple-<j>` found
// through the index, the ref `scenarios/simple` and its record's links, the reason
// a read of `missing id` fails with, and fsck's verdict.
import { createHash } from "node:crypto";
import { Effect } from "effect";
import { ObjectStore } from "../../../store/object_store.ts";
import { args, emit } from "./child_io.ts";

const [root, count, missing] = args("root", "count", "missing");

const program = Effect.gen(function* () {
  const store = yield* ObjectStore;
  const index = store.index("simple");
  const blobs: { id: string | undefined; size: number; sha256: string }[] = [];
  for (let j = 0; j < Number(count); j++) {
    const id = yield* index.get(`simple-${j}`);
    const bytes = id === undefined ? new Uint8Array() : yield* store.readBlob(id);
    blobs.push({
      id,
      size: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
    });
  }
  const ref = yield* store.readRef("scenarios/simple");
  const links = ref === null ? [] : (yield* store.readRecord(ref)).links ?? [];
  const missingRead = yield* store.readBlob(missing).pipe(
    Effect.as("found"),
    Effect.catchTag("StoreError", (e) => Effect.succeed(e.reason._tag)),
  );
  const report = yield* store.fsck();
  emit({ blobs, ref, links, missingRead, fsckOk: report.ok, objects: report.objects });
});

await Effect.runPromise(
  program.pipe(Effect.provide(ObjectStore.layer({ root, create: false }))),
);
