// Child process of clock_skew_test.ts, run with its clock off the file system's: a
// pipeline whose second step writes a Dir output into its scratch directory, says
// "waiting" and waits for a line on stdin before it returns — while a gc runs.
//
// Usage: skew_pipeline.ts <root>
//
// Prints "started", "waiting", then one JSON line: the scenario record's id.
import { Effect } from "effect";
import { Dir, Json, run, scenarioRecorded, step } from "../../../mod.ts";
import { args, emit, readLine } from "../../store/_fixtures/child_io.ts";

const [root] = args("root");

const first = step({
  name: "skew_first",
  version: "1",
  outputs: { v: Json },
  run: () => ({ v: { made: "before the wait" } }),
});

const second = step({
  name: "skew_second",
  version: "1",
  inputs: { v: Json },
  outputs: { d: Dir },
  run: async ({ v }, _config, ctx) => {
    Deno.mkdirSync(`${ctx.outDir}/d/sub`, { recursive: true });
    Deno.writeTextFileSync(`${ctx.outDir}/d/v.json`, JSON.stringify(v));
    Deno.writeTextFileSync(`${ctx.outDir}/d/sub/more.txt`, "written before the wait\n");
    emit("waiting");
    await readLine();
    return {};
  },
});

emit("started");
const recorded = await run(
  scenarioRecorded(
    "skew",
    {},
    Effect.gen(function* () {
      const { v } = yield* first({});
      return (yield* second({ v })).d.id;
    }),
  ),
  { root },
);
emit({ record: recorded.record, tree: recorded.value });
