// Child process of the disk-full checks: a pipeline whose program, after its steps,
// fills the file system its store is on, so the scenario record cannot be written.
//
// Usage: full_disk_pipeline.ts <root> <filler path> fill|nofill
//
// Prints "started", then one JSON line: how many invocations were hits.
import { Effect } from "effect";
import { Json, run, scenarioRecorded, step } from "../../../mod.ts";
import { args, emit } from "../../store/_fixtures/child_io.ts";
import { fillUp } from "./_fill.ts";

const [root, filler, mode] = args("root", "filler", "mode");

const first = step({
  name: "full_first",
  version: "1",
  outputs: { v: Json },
  run: () => ({ v: [1, 2, 3] }),
});
const second = step({
  name: "full_second",
  version: "1",
  inputs: { v: Json },
  outputs: { w: Json },
  run: ({ v }) => ({ w: v.map((x: number) => x * 2) }),
});

emit("started");
const recorded = await run(
  scenarioRecorded(
    "full",
    {},
    Effect.gen(function* () {
      const { v } = yield* first({});
      const { w } = yield* second({ v });
      if (mode === "fill") fillUp(filler);
      return w.id;
    }),
  ),
  { root },
);
emit({ record: recorded.record, output: recorded.value });
