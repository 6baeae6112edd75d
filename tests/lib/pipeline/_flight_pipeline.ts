// One invocation of `counted` over the store in Deno.args[0]; prints its output id.
// With CAIRN_HOLD set, the step never finishes (the takeover test kills it there).
import { Effect } from "effect";
import { Pipeline } from "../../../mod.ts";
import { counted } from "./workers/_steps.ts";

if (import.meta.main) {
  const out = await Effect.runPromise(
    counted({}).pipe(Effect.provide(Pipeline.layerDisk({ root: Deno.args[0]! }))),
  );
  console.log(out.y.id);
}
