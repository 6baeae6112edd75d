// A worker for refs_test.ts: creates and deletes one ref, compare-and-swap, as fast as
// it can, while other workers do the same. Args: store root, ref name, worker, rounds.
import { openStoreContext } from "../../../store/object_store.ts";
import { putBytes } from "../../../store/objects.ts";
import { readRef, updateRef } from "../../../store/refs.ts";
import { StoreError } from "../../../store/errors.ts";

const [root, name, worker, rounds] = Deno.args;
const ctx = openStoreContext(root!, { create: false });
let done = 0;
for (let i = 0; i < Number(rounds); i++) {
  const current = readRef(ctx.layout, name!);
  const next = current === null
    ? putBytes(ctx, "blob", new TextEncoder().encode(`${worker} ${i}`)).id
    : null;
  try {
    updateRef(ctx.layout, name!, next, { expected: current, message: `${worker} ${i}` });
    done++;
  } catch (e) {
    if (!(e instanceof StoreError && e.reason._tag === "RefConflict")) throw e;
  }
}
ctx.session.close();
console.log(done);
