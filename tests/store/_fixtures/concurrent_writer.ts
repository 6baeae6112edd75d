// Child process for "two processes writing the same and different objects at once".
//
// Usage: concurrent_writer.ts <root> <who> <shared> <own> <refEvery>
//
// Prints "ready", waits for "go" on stdin (so that all writers start together),
// then puts `shared` payloads every writer puts and `own` payloads only it puts,
// interleaved, appending an index entry for each. Every `refEvery` own payloads
// it increments a counter kept in ref `shared/head`: read the ref, read its
// record {type: "counter", n}, put {type: "counter", n: n + 1, by, links:
// [previous, latest own payload]} and compare-and-swap the ref to it, retrying
// from the read on RefConflict (each failed attempt leaves one unreferenced
// record). Prints a JSON summary as its last line: the ref updates it made, its
// conflicts, which shared payloads it reported `written` and how many own.
import { Effect } from "effect";
import { ObjectStore } from "../../../store/object_store.ts";
import { mixedSize, payload } from "./payload.ts";
import { args, emit, readLine } from "./child_io.ts";

const [root, who, shared, own, refEvery] = args("root", "who", "shared", "own", "refEvery");
const sharedCount = Number(shared);
const ownCount = Number(own);
const every = Number(refEvery);

const program = Effect.gen(function* () {
  const store = yield* ObjectStore;
  const index = store.index("payloads");
  emit("ready");
  const go = yield* Effect.promise(readLine);
  if (go !== "go") return yield* Effect.die(new Error(`expected "go", got ${go}`));
  const updates: string[] = [];
  let conflicts = 0;
  const sharedWritten: number[] = [];
  let ownWritten = 0;
  for (let j = 0; j < Math.max(sharedCount, ownCount); j++) {
    if (j < sharedCount) {
      const put = yield* store.putBlob(payload(`shared-${j}`, mixedSize(j)));
      yield* index.append(`shared-${j}`, put.id);
      if (put.written) sharedWritten.push(j);
    }
    if (j < ownCount) {
      const put = yield* store.putBlob(payload(`own-${who}-${j}`, mixedSize(j + 13)));
      yield* index.append(`own-${who}-${j}`, put.id);
      if (put.written) ownWritten++;
      if (j % every === every - 1) {
        const message = `${who}:${j}`;
        for (;;) {
          const current = yield* store.readRef("shared/head");
          const n = current === null ? 0 : Number((yield* store.readRecord(current)).n);
          const next = yield* store.putRecord({
            type: "counter",
            n: n + 1,
            by: message,
            links: current === null ? [put.id] : [current, put.id],
          });
          const swapped = yield* store.updateRef("shared/head", next.id, {
            expected: current,
            message,
          }).pipe(
            Effect.as(true),
            Effect.catchReason("StoreError", "RefConflict", () => Effect.succeed(false)),
          );
          if (swapped) break;
          conflicts++;
        }
        updates.push(message);
      }
    }
  }
  emit({ who, updates, conflicts, sharedWritten, ownWritten });
});

await Effect.runPromise(program.pipe(Effect.provide(ObjectStore.layer({ root }))));
