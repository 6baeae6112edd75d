// Child process of append_index_test.ts: an index compaction that stops in its
// last few syscalls, as a SIGKILL there leaves it. It takes the index's lock, reads
// the log, writes the compacted copy, says "read" and waits for a line; then renames
// the copy over the log, says "renamed" and waits to be killed — before it copies
// over what was appended meanwhile and before it releases its lock.
//
// Usage: half_compactor.ts <root> <index name>
import { acquireLock } from "../../../store/lock_file.ts";
import { openStoreContext } from "../../../store/object_store.ts";
import { args, emit, readLine } from "./child_io.ts";

const [root, name] = args("root", "name");
const { layout } = openStoreContext(root, { create: false });
const path = `${layout.index}/${name}.log`;
acquireLock(path, { trashDir: layout.tmp });
const copy = `${layout.tmp}/compacted-copy`;
Deno.writeFileSync(copy, Deno.readFileSync(path));
emit("read");
await readLine();
Deno.renameSync(copy, path);
emit("renamed");
await new Promise(() => {});
