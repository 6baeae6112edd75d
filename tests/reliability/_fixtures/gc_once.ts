// Child process: one gc pass over <root> with grace <ms>, run as a separate user
// of the store would (clock_skew_test.ts runs it with a skewed clock). Prints the
// report as JSON.
//
// Usage: gc_once.ts <root> <grace ms>
import { gc } from "../../../store/gc.ts";
import { openStoreContext } from "../../../store/object_store.ts";
import { args, emit } from "../../store/_fixtures/child_io.ts";

const [root, grace] = args("root", "graceMs");
const ctx = openStoreContext(root, { create: false });
try {
  emit(gc(ctx, { graceMs: Number(grace) }));
} finally {
  ctx.session.close();
}
