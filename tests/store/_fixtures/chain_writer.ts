// Child process for "gc during a running writer loses nothing".
//
// Usage: chain_writer.ts <root> <iterations> <refEvery> <gc count file> <revive at> <hold record>
//
// Each iteration i puts blob i, puts record {type: "run", i, links: [blob i,
// record i-1]} and appends index entry `run-<i>` → record i; every `refEvery`
// iterations it moves ref `scenarios/x` to the latest record. In between, what it
// wrote is reachable from no ref: only its writer session protects it.
//
// At iteration `revive at` the blob is already in the store (the parent put it,
// aged it, and keeps it only through ref `hold`): the writer finds it present and
// then deletes `hold`, so from then on the blob too is protected only by the
// session. At checkpoints (i % 20 === 10) the writer waits until the parent has
// finished two more gc runs (the count in `gc count file`), so that at least one
// whole gc runs while the latest records are unreferenced. Prints a JSON summary,
// then keeps its session open until its stdin is closed.
import { Effect } from "effect";
import { ObjectStore } from "../../../store/object_store.ts";
import { chainBlob } from "./payload.ts";
import { args, emit, readLine } from "./child_io.ts";

const [root, iterations, refEvery, gcCountFile, reviveAt, holdRecord] = args(
  "root",
  "iterations",
  "refEvery",
  "gcCountFile",
  "reviveAt",
  "holdRecord",
);
const every = Number(refEvery);

const gcCount = (): number => {
  try {
    return Number(Deno.readTextFileSync(gcCountFile)) || 0;
  } catch {
    return 0;
  }
};

const program = Effect.gen(function* () {
  const store = yield* ObjectStore;
  const index = store.index("runs");
  const blobs: string[] = [];
  const records: string[] = [];
  let refHead: string | null = null;
  let revivedWritten: boolean | undefined;
  let checkpoints = 0;
  for (let i = 0; i < Number(iterations); i++) {
    const blob = yield* store.putBlob(chainBlob(i));
    const previous = records[i - 1];
    const record = yield* store.putRecord({
      type: "run",
      i,
      links: previous ? [blob.id, previous] : [blob.id],
    });
    yield* index.append(`run-${i}`, record.id);
    blobs.push(blob.id);
    records.push(record.id);
    if (i === Number(reviveAt)) {
      revivedWritten = blob.written;
      yield* store.updateRef("hold", null, { expected: holdRecord, message: "release" });
    }
    if (i % every === every - 1) {
      yield* store.updateRef("scenarios/x", record.id, {
        expected: refHead,
        message: `run ${i}`,
      });
      refHead = record.id;
    }
    if (i === 0) emit("started");
    if (i % 20 === 10) {
      const target = gcCount() + 2;
      while (gcCount() < target) yield* Effect.sleep("2 millis");
      checkpoints++;
    }
  }
  emit({ blobs, records, refHead, revivedWritten, checkpoints });
  while ((yield* Effect.promise(readLine)) !== undefined) {
    // The parent stops its gc runs before it closes stdin.
  }
});

await Effect.runPromise(program.pipe(Effect.provide(ObjectStore.layer({ root }))));
