// Child process for "a reader-only process sees what a writer process wrote".
//
// Usage: simple_writer.ts <root> <count>
//
// Puts `count` blobs, a record linking them, index entries `simple-<j>` → blob j
// and ref `scenarios/simple` → the record; prints a JSON summary, then stays
// alive (its writer session open) until its stdin is closed.
import { Effect } from "effect";
import { ObjectStore } from "../../../store/object_store.ts";
import { mixedSize, payload } from "./payload.ts";
import { args, emit, readLine } from "./child_io.ts";

const [root, count] = args("root", "count");

const program = Effect.gen(function* () {
  const store = yield* ObjectStore;
  const index = store.index("simple");
  const blobs: string[] = [];
  for (let j = 0; j < Number(count); j++) {
    const { id } = yield* store.putBlob(payload(`simple-${j}`, mixedSize(j)));
    yield* index.append(`simple-${j}`, id);
    blobs.push(id);
  }
  const record = yield* store.putRecord({ type: "scenario", links: blobs });
  yield* store.updateRef("scenarios/simple", record.id, { expected: null, message: "first" });
  emit({ blobs, record: record.id });
  while ((yield* Effect.promise(readLine)) !== undefined) {
    // Hold the session open until the parent closes stdin.
  }
});

await Effect.runPromise(program.pipe(Effect.provide(ObjectStore.layer({ root }))));
