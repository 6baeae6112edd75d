// Opens the query index of the store at Deno.args[0] (catching it up), prints
// "ready" before and "done" after; the kill test kills it somewhere in between.
import { Effect } from "effect";
import { ObjectStore } from "../../../../mod.ts";
import { openQueryIndex } from "../../../../lib/query/mod.ts";

console.log("ready");
await Effect.runPromise(
  Effect.scoped(openQueryIndex({ progress: false })).pipe(
    Effect.provide(ObjectStore.layer({ root: Deno.args[0]!, create: false })),
  ),
);
console.log("done");
