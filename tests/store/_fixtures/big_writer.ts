// Child process for "a process killed with SIGKILL in the middle of large writes".
//
// Usage: big_writer.ts <root> <scratch dir> <tag>
//
// Loops writing multi-MiB objects every way the store ingests them — putBlob of a
// big buffer, putFile of a big file, putDir of a directory of many files — then a
// run record linking them, an index entry per object and a move of ref
// `killed/<tag>` to the record. Prints "ready" after its first complete loop and
// keeps going until the parent kills it (it exits 0 only if nobody does, after
// 500 loops, which the parent treats as a failure).
//
// The random bytes are generated once; each loop stamps the first bytes of every
// buffer and file with the loop number, so every object is new but the child
// spends its time in the store's own hashing and writing, where a kill must hurt.
import { Effect } from "effect";
import { ObjectStore } from "../../../store/object_store.ts";
import { payload } from "./payload.ts";
import { args, emit } from "./child_io.ts";

const [root, scratch, tag] = args("root", "scratch", "tag");
const MiB = 1 << 20;
const encoder = new TextEncoder();

const stamp = (n: number, part: string): Uint8Array =>
  encoder.encode(`${tag}/${n}/${part}`.padEnd(32, "."));

const stampFile = (path: string, n: number, part: string): void => {
  const file = Deno.openSync(path, { write: true });
  try {
    file.writeSync(stamp(n, part));
  } finally {
    file.close();
  }
};

const big = payload(`${tag}-bytes`, 4 * MiB);
const file = `${scratch}/big-file`;
Deno.writeFileSync(file, payload(`${tag}-file`, 4 * MiB + 17));
const dir = `${scratch}/dir`;
const parts = Array.from({ length: 8 }, (_, f) => `${dir}/${f < 5 ? "" : "sub/"}part-${f}`);
Deno.mkdirSync(`${dir}/sub`, { recursive: true });
for (const [f, path] of parts.entries()) {
  Deno.writeFileSync(path, payload(`${tag}-dir-${f}`, 128 * 1024 * (f + 1)));
}

const program = Effect.gen(function* () {
  const store = yield* ObjectStore;
  const index = store.index("big");
  for (let n = 0; n < 500; n++) {
    big.set(stamp(n, "bytes"));
    const bytes = yield* store.putBlob(big.subarray(0, big.length - n));
    yield* index.append(`${tag}-bytes-${n}`, bytes.id);

    stampFile(file, n, "file");
    const stored = yield* store.putFile(file);
    yield* index.append(`${tag}-file-${n}`, stored.id);

    for (const [f, path] of parts.entries()) stampFile(path, n, `dir-${f}`);
    const tree = yield* store.putDir(dir);
    yield* index.append(`${tag}-dir-${n}`, tree.id);

    const run = yield* store.putRecord({
      type: "run",
      n,
      links: [bytes.id, stored.id, tree.id],
    });
    yield* index.append(`${tag}-run-${n}`, run.id);
    yield* store.updateRef(`killed/${tag}`, run.id, { message: `loop ${n}` });
    if (n === 0) emit("ready");
  }
});

await Effect.runPromise(program.pipe(Effect.provide(ObjectStore.layer({ root }))));
