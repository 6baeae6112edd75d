// Child process of killed_materialize_test.ts: materializes tree <id> into <dest>
// (which takes a while: many files), to be killed half-way.
//
// Usage: slow_materialize.ts <root> <id> <dest>
import { materialize } from "../../../store/materialize.ts";
import { openStoreContext } from "../../../store/object_store.ts";
import { args, emit } from "../../store/_fixtures/child_io.ts";

const [root, id, dest] = args("root", "id", "dest");
const ctx = openStoreContext(root, { create: false });
emit("started");
materialize(ctx, id, dest);
ctx.session.close();
emit({ done: true });
