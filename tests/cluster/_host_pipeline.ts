// A pipeline process as a host runs it in the two-host tests: the travel-demand
// model's scenario `$1` with `$2` iterations over the store at $CAIRN_STORE, with the
// remote cache $CAIRN_REMOTE when set and the cluster executor on $CAIRN_TEST_SQL when
// set. It prints one JSON line: its pid, the scenario record's invocations and the
// pipeline's log lines (the remote's closing line among them), or the error it ended
// with (exit 1).
import * as Cause from "effect/Cause";
import * as Effect from "effect/Effect";
import { Pipeline, type Progress } from "../../mod.ts";
import { cluster } from "../../lib/pipeline/cluster/mod.ts";
import { travelDemandScenario } from "../../examples/travel_demand/pipeline.ts";

const [name = "extended", iterations = "15"] = Deno.args;
const root = Deno.env.get("CAIRN_STORE")!;
const sql = Deno.env.get("CAIRN_TEST_SQL");
const remote = Deno.env.get("CAIRN_REMOTE");
const log: string[] = [];
const progress: Progress = {
  stepStarted: () => {},
  stepFinished: () => {},
  iterationFinished: () => {},
  scenarioFinished: () => {},
  log: (line) => void log.push(line),
};

const exit = await Effect.runPromiseExit(
  Effect.gen(function* () {
    yield* travelDemandScenario(name, Number(iterations));
    const { store } = yield* Pipeline;
    const record = (yield* store.readRef(`scenarios/${name}`))!;
    return (yield* store.readRecord(record)).invocations;
  }).pipe(
    Effect.provide(Pipeline.layerDisk({
      root,
      progress,
      remote: remote ?? false,
      ...(sql ? { executor: cluster({ sql }) } : {}),
    })),
  ),
);
if (exit._tag === "Success") {
  console.log(JSON.stringify({ pid: Deno.pid, invocations: exit.value, log }));
} else {
  const error = Cause.squash(exit.cause);
  console.log(JSON.stringify({
    pid: Deno.pid,
    error: error instanceof Error ? error.message : String(error),
    log,
  }));
  Deno.exit(1);
}
