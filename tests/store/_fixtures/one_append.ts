// Child process of append_index_test.ts: appends one entry to an index, as a
// pipeline recording a run does, and says "appended".
//
// Usage: one_append.ts <root> <index name> <key> <value>
import { AppendIndex } from "../../../store/append_index.ts";
import { openStoreContext } from "../../../store/object_store.ts";
import { args, emit } from "./child_io.ts";

const [root, name, key, value] = args("root", "name", "key", "value");
const { layout } = openStoreContext(root, { create: false });
const index = new AppendIndex(layout, name);
index.append(key, value);
index.close();
emit("appended");
