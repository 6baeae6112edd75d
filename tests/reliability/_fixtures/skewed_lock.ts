// Child process of clock_skew_test.ts, run with its clock well ahead of the file
// system's: tries to take a lock another live process holds, giving up after 300 ms.
//
// Usage: skewed_lock.ts <target> <trash dir>
//
// Prints {"outcome":"busy"} (the holder kept its lock) or {"outcome":"taken"} (broken as stale).
import { acquireLock, releaseLock } from "../../../store/lock_file.ts";
import { StoreError } from "../../../store/errors.ts";
import { args, emit } from "../../store/_fixtures/child_io.ts";

const [target, trashDir] = args("target", "trashDir");
try {
  const lock = acquireLock(target, { trashDir, timeoutMs: 300 });
  releaseLock(lock);
  emit({ outcome: "taken" });
} catch (e) {
  if (!(e instanceof StoreError && e.reason._tag === "LockBusy")) throw e;
  emit({ outcome: "busy" });
}
