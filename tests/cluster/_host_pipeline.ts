// A pipeline process as a host runs it in the two-host tests: the travel-demand
// model's scenario `$1` with `$2` iterations over the store at $CAIRN_STORE, with the
// remote cache $CAIRN_REMOTE when set and the cluster executor on $CAIRN_TEST_SQL when
// set. It prints one JSON line: its pid, the scenario record's invocations and the
// pipeline's log lines (the remote's closing line among them), or the error it ended
// with (exit 1). `doubling` instead of a scenario name sweeps the cluster tests'
// `double` over values made here (`input.value`), printing each scenario's y and the
// pid that computed it as `values`.
import * as Cause from "effect/Cause";
import * as Effect from "effect/Effect";
import { input, Pipeline, type Progress, sweep } from "../../mod.ts";
import { double } from "./_steps.ts";
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

const readJson = (id: string) =>
  Effect.flatMap(Pipeline, (p) => p.store.readBlob(id)).pipe(
    Effect.map((b) => JSON.parse(new TextDecoder().decode(b))),
  );

const doubling = sweep("doubling", { a: 1, b: 2, c: 3 }, (x) =>
  Effect.gen(function* () {
    const d = yield* double({ x: yield* input.value(x) });
    return { y: yield* readJson(d.y.id), pid: yield* readJson(d.pid.id) };
  }));

const exit = await Effect.runPromiseExit(
  Effect.gen(function* () {
    if (name === "doubling") return { values: yield* doubling };
    yield* travelDemandScenario(name, Number(iterations));
    const { store } = yield* Pipeline;
    const record = (yield* store.readRef(`scenarios/${name}`))!;
    return { invocations: (yield* store.readRecord(record)).invocations };
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
  console.log(JSON.stringify({ pid: Deno.pid, ...exit.value, log }));
} else {
  const error = Cause.squash(exit.cause);
  console.log(JSON.stringify({
    pid: Deno.pid,
    error: error instanceof Error ? error.message : String(error),
    log,
  }));
  Deno.exit(1);
}
