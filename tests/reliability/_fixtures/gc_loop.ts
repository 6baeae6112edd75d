// Child process of gc_during_run_test.ts: gc with a zero grace period, over and over,
// as an impatient user might run `cairn gc --grace 0ms` in a loop beside a pipeline.
//
// Usage: gc_loop.ts <root> <count file>
//
// Each pass is gc with graceMs 0 and reflogExpiryMs 0 (only refs and live writer
// sessions keep anything). After each pass it writes the number of passes so far to
// <count file> (by rename: a reader never sees half a number) and pauses 2 ms, so
// writers waiting for the lock get it. Prints "ready" after the first pass; stops
// when its stdin closes and prints JSON totals.
import { gc } from "../../../store/gc.ts";
import { openStoreContext } from "../../../store/object_store.ts";
import { args, emit, readLine } from "../../store/_fixtures/child_io.ts";

const [root, countFile] = args("root", "countFile");

let stop = false;
(async () => {
  while ((await readLine()) !== undefined) {
    // Only the end of stdin matters.
  }
  stop = true;
})();

const ctx = openStoreContext(root, { create: false });
const totals = {
  passes: 0,
  objectsRemoved: 0,
  bytesRemoved: 0,
  indexEntriesRemoved: 0,
  tmpFilesRemoved: 0,
  youngKeptMax: 0,
  missing: 0,
};
try {
  while (!stop) {
    const report = gc(ctx, { graceMs: 0, reflogExpiryMs: 0 });
    totals.passes++;
    totals.objectsRemoved += report.objectsRemoved;
    totals.bytesRemoved += report.bytesRemoved;
    totals.indexEntriesRemoved += report.indexEntriesRemoved;
    totals.tmpFilesRemoved += report.tmpFilesRemoved;
    totals.youngKeptMax = Math.max(totals.youngKeptMax, report.youngKept);
    totals.missing += report.missing;
    Deno.writeTextFileSync(`${countFile}.tmp`, String(totals.passes));
    Deno.renameSync(`${countFile}.tmp`, countFile);
    if (totals.passes === 1) emit("ready");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
} finally {
  ctx.session.close();
}
emit(totals);
