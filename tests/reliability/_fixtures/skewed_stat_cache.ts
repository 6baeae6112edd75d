// Child process of clock_skew_test.ts, run with its clock off the file system's:
// the stat cache's two races, through the store's fileId.
//
// Usage: skewed_stat_cache.ts <root> <dir>
//
// 1. Stale: a file is hashed, then rewritten with the same size and its mtime put
//    back, within the same second of its ctime (retried until it lands so): the
//    second lookup must give the new bytes' id.
// 2. Trusted: a file last changed 2.6 s ago (on the file system's clock) is hashed;
//    the second lookup must trust the entry instead of hashing again.
//
// Prints one JSON line with what each lookup returned.
import { Effect } from "effect";
import { ObjectStore } from "../../../store/object_store.ts";
import { hashObject } from "../../../store/object_id.ts";
import { args, emit } from "../../store/_fixtures/child_io.ts";

const [root, dir] = args("root", "dir");
const encoder = new TextEncoder();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The file system's clock, read from a file just written (the process clock is skewed).
const fsNowMs = (): number => {
  Deno.writeTextFileSync(`${dir}/probe`, "x");
  return Deno.statSync(`${dir}/probe`).mtime!.getTime();
};

const program = Effect.gen(function* () {
  const store = yield* ObjectStore;
  const path = `${dir}/input.bin`;
  let attempts = 0;
  let stale: { first: string; second: string; hashed: boolean; expected: string } | undefined;
  while (stale === undefined && attempts < 20) {
    attempts++;
    // Start early in a second of the file system's clock: all of it must fit in one.
    while (fsNowMs() % 1000 > 150) yield* Effect.promise(() => sleep(10));
    Deno.writeFileSync(path, encoder.encode("A".repeat(4096)));
    const first = yield* store.fileId(path);
    const before = Deno.statSync(path);
    const bytes = encoder.encode("B".repeat(4096));
    Deno.writeFileSync(path, bytes);
    Deno.utimeSync(path, before.atime!, before.mtime!);
    const after = Deno.statSync(path);
    const sameSecond = Math.floor(after.ctime!.getTime() / 1000) ===
      Math.floor(before.ctime!.getTime() / 1000);
    if (!sameSecond || after.mtime!.getTime() !== before.mtime!.getTime()) continue;
    const second = yield* store.fileId(path);
    stale = {
      first: first.id,
      second: second.id,
      hashed: second.hashed,
      expected: hashObject("blob", bytes),
    };
  }

  const settled = `${dir}/settled.bin`;
  Deno.writeFileSync(settled, encoder.encode("C".repeat(4096)));
  const changed = Deno.statSync(settled).ctime!.getTime();
  while (fsNowMs() - changed < 2600) yield* Effect.promise(() => sleep(50));
  const firstSettled = yield* store.fileId(settled);
  const secondSettled = yield* store.fileId(settled);
  return {
    attempts,
    stale,
    settled: { first: firstSettled.hashed, second: secondSettled.hashed },
    clockSkewMs: Date.now() - fsNowMs(),
  };
});

emit(await Effect.runPromise(program.pipe(Effect.provide(ObjectStore.layer({ root })))));
