// A command through the Executor seam: its miss reaches the executor as a serialisable
// invocation with its address and its key parts; an executor in another process (a
// worker that imports the module, so the command registers under the same address)
// prepares it afresh and runs it — unless its command there differs from the one the
// key was computed with (a source edited in between), which fails rather than record
// the run under a key that does not describe it.
import assert from "node:assert/strict";
import { PATH } from "./_model.ts";
import { withProject } from "../_project.ts";
import { sandboxTest } from "../../../_sandbox.ts";

const PIPELINE = `import { Effect, Layer } from "effect";
import { command, decodeStepInvocation, Executor, Pipeline, scenario, Text } from "cairn";

export const model = command({
  name: "model",
  outputs: { result: Text },
  config: { n: 3 },
  sources: ["model.sh"],
  tools: ["sh"],
  argv: ({ outputs, config }) => ["sh", "model.sh", String(config.n), outputs.result],
});

// Every miss goes to a worker process, as JSON on its stdin.
const worker = Layer.succeed(Executor, {
  name: "worker",
  execute: (invocation) =>
    Effect.promise(async () => {
      if (Deno.env.get("EDIT_BEFORE_WORKER")) Deno.writeTextFileSync("model.sh", 'echo "edited $1" > "$2"\\n');
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "worker.ts"],
        stdin: "piped",
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(JSON.stringify(invocation)));
      await writer.close();
      const out = await child.output();
      return JSON.parse(new TextDecoder().decode(out.stdout));
    }).pipe(Effect.flatMap((reply) =>
      reply.error ? Effect.die(new Error(reply.error)) : Effect.succeed(reply)
    )),
});

if (import.meta.main) {
  const program = scenario("mutation", {}, Effect.gen(function* () {
    const { result } = yield* model({});
    const { store } = yield* Pipeline;
    console.log(JSON.stringify({ text: new TextDecoder().decode(yield* store.readBlob(result.id)) }));
  }));
  await Effect.runPromise(
    program.pipe(Effect.provide(Pipeline.layerDisk({}).pipe(Layer.provide(worker)))),
  );
}
`;

// The worker: imports the pipeline's module (its command registers by address), reads
// the invocation and runs it with the in-process executor over the same store.
const WORKER = `import { Effect } from "effect";
import { decodeStepInvocation, inProcess, Pipeline } from "cairn";
import "./pipeline.ts";

const invocation = decodeStepInvocation(JSON.parse(await new Response(Deno.stdin.readable).text()));
if (!invocation) throw new Error("not an invocation");
const reply = await Effect.runPromise(
  Effect.gen(function* () {
    return yield* inProcess(yield* Pipeline).execute(invocation);
  }).pipe(
    Effect.catch((e) => Effect.succeed({ error: e.message })),
    Effect.provide(Pipeline.layerDisk({})),
  ),
);
console.log(JSON.stringify(reply));
`;

// The command asks for the sandbox, which the record must name: the test needs bwrap.
sandboxTest(
  "a command's miss runs in a worker process that prepares it afresh from the invocation",
  async () => {
    const files = {
      "pipeline.ts": PIPELINE,
      "worker.ts": WORKER,
      "model.sh": 'echo "n=$1" > "$2"\n',
    };
    await withProject(files, async (p) => {
      const out = await p.run({ env: { PATH } });
      assert.deepEqual(out.steps, { model: "miss" });
      assert.deepEqual(JSON.parse(out.stdout.trim()), { text: "n=3\n" });
      const record = p.runRecord(out, "model");
      assert.equal((record.command as { runner: string }).runner, "sandbox");
      assert.deepEqual((record.components as { argv: string[] }).argv, [
        "sh",
        "model.sh",
        "3",
        "out/result.txt",
      ]);
      // A hit never reaches the worker.
      assert.deepEqual((await p.run({ env: { PATH } })).steps, { model: "hit" });
    });
  },
);

Deno.test("a worker whose command differs from the keyed one (a source edited in between) refuses to run it", async () => {
  const files = {
    "pipeline.ts": PIPELINE,
    "worker.ts": WORKER,
    "model.sh": 'echo "n=$1" > "$2"\n',
  };
  await withProject(files, async (p) => {
    const out = await p.run({ env: { PATH, EDIT_BEFORE_WORKER: "1" }, fails: true });
    assert.match(
      out.stderr,
      /Cannot use step "model": its command here differs from the one its key was computed with \(sources\.model\.sh: changed/,
    );
  });
});

// The same edit between keying and the worker, with the workers pool: the worker
// refuses the invocation (as it refuses a plain step whose key differs there), and it
// runs in the pipeline process, which finds its source changed since it was keyed.
const POOLED = `import { Effect, Layer } from "effect";
import { Executor, Pipeline, scenario, workers } from "cairn";
import { model } from "./pipeline.ts";

const editing = Layer.effect(Executor, Effect.gen(function* () {
  const pool = yield* Executor;
  return {
    ...pool,
    execute: (invocation) =>
      Effect.andThen(
        Effect.sync(() => Deno.writeTextFileSync("model.sh", 'echo "edited $1" > "$2"\\n')),
        pool.execute(invocation),
      ),
  };
})).pipe(Layer.provide(workers({ size: 1 })));

const program = scenario("mutation", {}, Effect.gen(function* () {
  const { result } = yield* model({});
  const { store } = yield* Pipeline;
  console.log(JSON.stringify({ text: new TextDecoder().decode(yield* store.readBlob(result.id)) }));
}));
await Effect.runPromise(program.pipe(Effect.provide(Pipeline.layerDisk({}).pipe(Layer.provide(editing)))));
`;

Deno.test("with the workers pool, a command whose worker finds it differs runs in the pipeline process, uncached", async () => {
  const files = {
    "pipeline.ts": PIPELINE,
    "pooled.ts": POOLED,
    "worker.ts": WORKER,
    "model.sh": 'echo "n=$1" > "$2"\n',
  };
  await withProject(files, async (p) => {
    const out = await p.run({ env: { PATH }, script: "pooled.ts" });
    assert.deepEqual(out.steps, { model: "miss" });
    assert.match(
      out.stderr,
      /model runs in the pipeline process: its command here differs \(sources\.model\.sh: changed/,
    );
    // Its sources are the project's files, edited now: as an edit during an in-process
    // run, the result is used but not cached, and the next run computes it afresh.
    assert.match(out.stderr, /model: not cached: model\.sh changed while the program ran/);
    assert.ok(p.runRecord(out, "model").uncached !== undefined, "recorded as uncached");
    const next = await p.run({ env: { PATH }, script: "pooled.ts" });
    assert.deepEqual(next.steps, { model: "miss" });
    assert.deepEqual(JSON.parse(next.stdout.trim()), { text: "edited 3\n" });
  });
});
