// Child process of gc_races_test.ts: moves one ref back and forth as fast as it can
// (each update writes a lock and a commit temp file in tmp/ and renames them away),
// until its stdin closes. Prints "started", then the number of updates as JSON.
//
// Usage: ref_churn.ts <root>
import { openStoreContext } from "../../../store/object_store.ts";
import { putBytes } from "../../../store/objects.ts";
import { updateRef } from "../../../store/refs.ts";
import { args, emit, readLine } from "../../store/_fixtures/child_io.ts";

const [root] = args("root");
const ctx = openStoreContext(root, { create: false });
const ids = ["a\n", "b\n"].map((t) => putBytes(ctx, "blob", new TextEncoder().encode(t)).id);
let stop = false;
(async () => {
  while ((await readLine()) !== undefined) {
    // Only the end of stdin matters.
  }
  stop = true;
})();
emit("started");
let updates = 0;
while (!stop) {
  updateRef(ctx.layout, "churn", ids[updates % 2]!, { message: `update ${updates}` });
  updates++;
  if (updates % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
}
ctx.session.close();
emit({ updates });
