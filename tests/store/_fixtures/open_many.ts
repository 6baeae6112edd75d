// Child process for "processes creating the same new stores at once all succeed".
//
// Usage: open_many.ts <base dir> <count> <start at ms>
//
// Spins until `start at` (so that every child starts together), then opens —
// creating — stores `<base dir>/s<r>` for r = 0 .. count-1, in the same order as
// its siblings, so that they race on each one. Prints JSON: how many opens
// failed and the first error.
import { openStoreContext } from "../../../store/object_store.ts";
import { args, emit } from "./child_io.ts";

const [base, count, startAt] = args("base", "count", "startAt");
while (Date.now() < Number(startAt)) {
  // Busy-wait: a timer would add milliseconds of skew between siblings.
}
let failures = 0;
let first = "";
for (let r = 0; r < Number(count); r++) {
  try {
    openStoreContext(`${base}/s${r}`).session.close();
  } catch (e) {
    failures++;
    first ||= String(e);
  }
}
emit({ failures, first });
