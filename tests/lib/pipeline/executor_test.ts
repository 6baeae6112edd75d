// The Executor seam: a miss is handed to the executor in the context as a
// serialisable invocation — a step address (module path and binding) for a step
// declared at module level, none for one made at run time — and a hit never reaches it.
import assert from "node:assert/strict";
import { Effect, Layer } from "effect";
import {
  decodeStepInvocation,
  Dir,
  Executor,
  type ExecutorApi,
  inProcess,
  Json,
  Pipeline,
  step,
  type StepInvocation,
} from "../../../mod.ts";

Deno.env.set("CAIRN_PROGRESS", "0");

export const double = step({
  name: "double",
  inputs: { x: Json },
  outputs: { y: Json },
  run: ({ x }) => ({ y: x * 2 }),
});

const seed = step({ name: "seed", outputs: { x: Json }, config: { x: 21 }, run: (_, c) => c });

const madeAtRunTime = () =>
  step({ name: "late", outputs: { y: Json }, config: { y: 1 }, run: (_, c) => c });

// An executor that sends every invocation through JSON, as one in another process
// would receive it, then runs it in process.
const recording = (seen: StepInvocation[], delegate: { api?: ExecutorApi }) =>
  Layer.succeed(Executor, {
    name: "recording",
    execute: (invocation) => {
      const wire = decodeStepInvocation(JSON.parse(JSON.stringify(invocation)));
      assert.ok(wire, "the invocation survives JSON");
      assert.deepEqual(wire, invocation);
      seen.push(wire);
      return delegate.api!.execute(wire);
    },
  });

Deno.test("misses reach the provided executor as serialisable invocations with step addresses; hits do not", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-executor-" });
  try {
    const seen: StepInvocation[] = [];
    const delegate: { api?: ExecutorApi } = {};
    const layer = Pipeline.layerDisk({ root: `${dir}/store` }).pipe(
      Layer.provide(recording(seen, delegate)),
    );
    const program = Effect.gen(function* () {
      delegate.api = inProcess(yield* Pipeline);
      const { x } = yield* seed({});
      const { y } = yield* double({ x });
      yield* madeAtRunTime()({});
      const { store } = yield* Pipeline;
      return JSON.parse(new TextDecoder().decode(yield* store.readBlob(y.id)));
    });
    assert.equal(await Effect.runPromise(program.pipe(Effect.provide(layer))), 42);
    assert.deepEqual(seen.map((i) => [i.step, i.address]), [
      ["seed", "tests/lib/pipeline/executor_test.ts#seed"],
      ["double", "tests/lib/pipeline/executor_test.ts#double"],
      ["late", null],
    ]);
    assert.equal(seen[1]!.inputs.x?.producer !== null, true, "inputs carry their producer");
    seen.length = 0;
    assert.equal(await Effect.runPromise(program.pipe(Effect.provide(layer))), 42);
    assert.deepEqual(seen, [], "every invocation was a hit: none reached the executor");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a trace names where a step's time goes: cairn.step, then cairn.hit or cairn.miss and cairn.ingest", async () => {
  const { Tracer } = await import("effect");
  const dir = Deno.makeTempDirSync({ prefix: "cairn-trace-" });
  try {
    const spans: { name: string; parent: string | undefined }[] = [];
    const tracer = Tracer.make({
      span(options) {
        const span = new Tracer.NativeSpan(options);
        spans.push({
          name: options.name,
          parent: options.parent._tag === "Some" && options.parent.value._tag === "Span"
            ? options.parent.value.name
            : undefined,
        });
        return span;
      },
    });
    const files = step({
      name: "files",
      outputs: { d: Dir },
      run: (_i, _c, ctx) => {
        Deno.mkdirSync(`${ctx.outDir}/d`);
        Deno.writeTextFileSync(`${ctx.outDir}/d/a`, "a");
        return {};
      },
    });
    const program = Effect.asVoid(Effect.all([seed({}), files({})]));
    const layer = Pipeline.layerDisk({ root: `${dir}/store` });
    await Effect.runPromise(Effect.withTracer(program.pipe(Effect.provide(layer)), tracer));
    const names = spans.map((s) => `${s.name}<${s.parent ?? ""}`);
    assert.ok(names.includes("cairn.miss<cairn.step"), names.join(" "));
    assert.ok(names.includes("cairn.ingest<cairn.miss"), names.join(" "));
    spans.length = 0;
    await Effect.runPromise(Effect.withTracer(program.pipe(Effect.provide(layer)), tracer));
    const again = spans.map((s) => `${s.name}<${s.parent ?? ""}`);
    assert.ok(again.includes("cairn.hit<cairn.step"), again.join(" "));
    assert.ok(!again.some((n) => n.startsWith("cairn.miss")), "all hits");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

// What an executor in another process receives: this process's invocation of `seed`,
// its local handle meaning nothing there. Simulated here by a handle of the form this
// process would give, which names another of its steps: it must not be run in its place.
Deno.test("an invocation from another process is found by its address, never by a handle that means another step here", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-executor-" });
  try {
    const seen: StepInvocation[] = [];
    const capturing: ExecutorApi = {
      name: "capturing",
      execute: (invocation) => {
        seen.push(invocation);
        return Effect.die("captured");
      },
    };
    const layer = Pipeline.layerDisk({ root: `${dir}/store` }).pipe(
      Layer.provide(Layer.succeed(Executor, capturing)),
    );
    const capture = Effect.gen(function* () {
      yield* Effect.exit(seed({}));
      yield* Effect.exit(madeAtRunTime()({}));
      return inProcess(yield* Pipeline);
    });
    const here: ExecutorApi = await Effect.runPromise(capture.pipe(Effect.provide(layer)));
    const [ofSeed, ofLate] = seen;
    assert.ok(ofSeed && ofLate);
    // Another process numbers its declarations from 0 as this one does: the handles
    // it sends are this process's handles of the steps declared first.
    const foreign = (i: StepInvocation, local: string): StepInvocation =>
      decodeStepInvocation(JSON.parse(JSON.stringify({ ...i, local })))!;
    for (const local of ["local:0", "local:1", "local:2"]) {
      const x: Uint8Array = await Effect.runPromise(
        Effect.gen(function* () {
          const result = yield* here.execute(foreign(ofSeed, local));
          return yield* (yield* Pipeline).store.readBlob(result.outputs.x!.id);
        }).pipe(Effect.provide(layer)),
      );
      assert.deepEqual(JSON.parse(new TextDecoder().decode(x)), 21, `handle ${local}`);
    }
    // A step made at run time has no address: elsewhere it cannot be found, and the
    // error says how to declare it so that it can.
    const exit = await Effect.runPromiseExit(
      Effect.provide(here.execute(foreign(ofLate, "local:999999")), layer),
    );
    assert.equal(exit._tag, "Failure");
    const text = String(exit.cause);
    assert.match(text, /late/);
    assert.match(text, /module level/);
    assert.match(text, /export const/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
