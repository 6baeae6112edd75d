// A pipeline whose two steps keep two workers busy for a minute: the orphan tests
// stop it (SIGTERM, SIGKILL) while they run. `deno run -A _busy_pipeline.ts <store>`.
import { Effect } from "effect";
import { run, scenario, workers } from "../../../../mod.ts";
import { sleepyA, sleepyB } from "./_steps.ts";

const program = scenario(
  "busy",
  {},
  Effect.asVoid(Effect.all([sleepyA({}), sleepyB({})], { concurrency: 2 })),
);

if (import.meta.main) {
  await run(program, { root: Deno.args[0]!, executor: workers({ size: 2 }) });
}
