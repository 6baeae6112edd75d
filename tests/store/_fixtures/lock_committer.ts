// Child process for "a ref lock names its owner at every moment, so a holder killed
// at any point is broken at once".
//
// Usage: lock_committer.ts <dir>
//
// Takes and commits the lock of `<dir>/ref` over and over, durably (an fsync per
// commit, the slow moment of a commit), with trash and temp files in `<dir>/tmp`.
// Prints "ready" after the first commit; runs until killed.
import { acquireLock, commitLock } from "../../../store/lock_file.ts";
import { args, emit } from "./child_io.ts";

const [dir] = args("dir");
const content = new TextEncoder().encode(`${"a".repeat(64)}\n`);
for (let n = 0;; n++) {
  const lock = acquireLock(`${dir}/ref`, { trashDir: `${dir}/tmp` });
  commitLock(lock, `${dir}/ref`, content, true);
  if (n === 0) emit("ready");
}
