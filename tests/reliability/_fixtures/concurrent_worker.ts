// Worker process of tests/reliability/concurrent_writers_test.ts: one of several
// processes running overlapping pipelines on one store (see concurrent_plan.ts).
//
// Usage: concurrent_worker.ts <root> <worker> <scenarios> <manifest>
//
// Prints "ready", waits for "go" on stdin (so that all workers start together), then
// runs its `scenarios` scenarios through `run`, as a pipeline script would. After each
// one it moves two refs through the store API:
//
// - `reliability/counter`, shared by every worker: read the ref and its counter record
//   {n}, put {type: "counter", n: n + 1, by, links} and compare-and-swap the ref to it,
//   retrying from the read on RefConflict (a lost race is expected; a lost update not);
// - `reliability/worker-<w>`, its own: a compare-and-swap that must never conflict.
//
// Then writes a manifest (JSON, outside the store) of everything it did and got — each
// scenario's invocations as the scenario recorded them, with the output ids the steps
// returned; every ref update — and prints "done".
import * as Effect from "effect/Effect";
import {
  type Artifact,
  CurrentScenario,
  iterate,
  Json,
  optional,
  Pipeline,
  run,
  scenario,
  step,
} from "../../../mod.ts";
import { args, emit, readLine } from "../../store/_fixtures/child_io.ts";
import {
  accumulate,
  advance,
  blend,
  COUNTER_REF,
  ITERATIONS,
  type Manifest,
  type ManifestInvocation,
  planOf,
  type ScenarioPlan,
  seedValue,
  workerRef,
} from "./concurrent_plan.ts";

const [root, workerArg, scenariosArg, manifestPath] = args(
  "root",
  "worker",
  "scenarios",
  "manifest",
);
const worker = Number(workerArg);
const scenarios = Number(scenariosArg);

// Steps whose config varies are declared once per config value.
const memo = <A>(make: (...key: number[]) => A) => {
  const made = new Map<string, A>();
  return (...key: number[]): A => {
    const id = key.join(",");
    let value = made.get(id);
    if (value === undefined) made.set(id, value = make(...key));
    return value;
  };
};

const seedStep = memo((chain) =>
  step({
    name: "seed",
    outputs: { x: Json },
    config: { chain },
    run: (_inputs, config) => ({ x: seedValue(config.chain) }),
  })
);

const advanceStep = step({
  name: "advance",
  inputs: { x: Json },
  outputs: { x: Json },
  run: ({ x }, _config, ctx) => ({ x: advance(x, ctx.iteration!) }),
});

const blendStep = memo((group) =>
  step({
    name: "blend",
    inputs: { x: Json },
    outputs: { y: Json },
    config: { group },
    run: ({ x }, config, ctx) => ({ y: blend(x, config.group, ctx.iteration!) }),
  })
);

const accumulateStep = memo((worker, epoch) =>
  step({
    name: "accumulate",
    inputs: { y: Json, acc: optional(Json) },
    outputs: { acc: Json },
    config: { worker, epoch },
    run: ({ y, acc }, config) => ({ acc: accumulate(acc, y, config.worker, config.epoch) }),
  })
);

const ids = (outputs: Record<string, Artifact>) =>
  Object.fromEntries(Object.entries(outputs).map(([name, a]) => [name, a.id]));

const runScenario = (plan: ScenarioPlan) =>
  scenario(
    plan.name,
    { config: { worker: plan.worker, seq: plan.seq, chain: plan.chain }, tags: ["reliability"] },
    Effect.gen(function* () {
      // The outputs of each invocation, in invocation order (steps run one at a time).
      const outputs: Record<string, string>[] = [];
      const seeded = yield* seedStep(plan.chain)({});
      outputs.push(ids(seeded));
      const final = yield* iterate(
        { times: ITERATIONS },
        { x: seeded.x, acc: undefined as Artifact | undefined },
        (state) =>
          Effect.gen(function* () {
            const advanced = yield* advanceStep({ x: state.x });
            outputs.push(ids(advanced));
            const blended = yield* blendStep(plan.group)({ x: advanced.x });
            outputs.push(ids(blended));
            const summed = yield* accumulateStep(plan.worker, plan.epoch)({
              y: blended.y,
              acc: state.acc,
            });
            outputs.push(ids(summed));
            return { x: advanced.x, acc: summed.acc as Artifact };
          }),
      );
      const state = yield* CurrentScenario;
      const invocations: ManifestInvocation[] = state!.invocations.map((i, k) => ({
        step: i.step,
        iteration: i.iteration,
        run: i.run,
        hit: i.hit,
        status: i.status,
        outputs: outputs[k] ?? {},
      }));
      return { invocations, final: final.acc! };
    }),
  );

const program = Effect.gen(function* () {
  const { store } = yield* Pipeline;
  const done: Manifest["scenarios"][number][] = [];
  const counter: { message: string; id: string }[] = [];
  const own: string[] = [];
  let conflicts = 0;
  let mostConflicts = 0;
  for (let seq = 0; seq < scenarios; seq++) {
    const plan = planOf(worker, seq, scenarios);
    const { invocations, final } = yield* runScenario(plan);
    done.push({ seq, name: plan.name, invocations });

    const message = `w${worker}:${seq}`;
    for (let attempt = 0;; attempt++) {
      if (attempt === 10_000) return yield* Effect.die(new Error(`${message}: 10000 conflicts`));
      const current = yield* store.readRef(COUNTER_REF);
      const n = current === null ? 0 : Number((yield* store.readRecord(current)).n);
      const next = yield* store.putRecord({
        type: "counter",
        n: n + 1,
        by: message,
        links: current === null ? [final.id] : [current, final.id],
      });
      const swapped = yield* store.updateRef(COUNTER_REF, next.id, { expected: current, message })
        .pipe(
          Effect.as(true),
          Effect.catchReason("StoreError", "RefConflict", () => Effect.succeed(false)),
        );
      if (swapped) {
        counter.push({ message, id: next.id });
        mostConflicts = Math.max(mostConflicts, attempt);
        break;
      }
      conflicts++;
    }

    yield* store.updateRef(workerRef(worker), final.id, {
      expected: own[own.length - 1] ?? null,
      message,
    });
    own.push(final.id);
  }
  return { worker, scenarios: done, counter, conflicts, mostConflicts, own } satisfies Manifest;
});

emit("ready");
const go = await readLine();
if (go !== "go") throw new Error(`Cannot start: expected "go", got ${JSON.stringify(go)}`);
const manifest = await run(program, { root });
Deno.writeTextFileSync(manifestPath, JSON.stringify(manifest));
emit("done");
