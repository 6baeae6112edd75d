// Child process of big_objects_test.ts: gc (zero grace, as if hours later) and a
// full fsck over <root>, with the process's peak resident size (VmHWM, Linux)
// before and after, printed as one JSON line.
//
// Usage: big_walk.ts <root>
import { fsck } from "../../../store/fsck.ts";
import { gc } from "../../../store/gc.ts";
import { openStoreContext } from "../../../store/object_store.ts";
import { args, emit } from "../../store/_fixtures/child_io.ts";

const [root] = args("root");

const peakKiB = (): number => {
  const status = Deno.readTextFileSync("/proc/self/status");
  return Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1] ?? NaN);
};

const ctx = openStoreContext(root, { create: false });
try {
  const peakBeforeKiB = peakKiB();
  const removed = gc(ctx, { graceMs: 0, nowMs: Date.now() + 7_200_000 }).objectsRemoved;
  const problems = fsck(ctx).problems.length;
  emit({ peakBeforeKiB, peakAfterKiB: peakKiB(), removed, problems });
} finally {
  ctx.session.close();
}
