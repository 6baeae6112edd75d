// step.with({ config }): a config given at invocation, keyed exactly as a declared one —
// a sweep over a parameter with no step factory, in process, in workers and for commands.
import assert from "node:assert/strict";
import { Effect } from "effect";
import {
  command,
  input,
  Json,
  Pipeline,
  PipelineError,
  step,
  Text,
  workers,
} from "../../../mod.ts";
import { scaled } from "./workers/_steps.ts";

Deno.env.set("CAIRN_PROGRESS", "0");

const seen: unknown[] = [];
const grow = step({
  name: "with.grow",
  inputs: { x: Json },
  outputs: { y: Json },
  config: { rate: 1, base: 10 },
  run: ({ x }, config) => {
    seen.push(config);
    return { y: config.base + x * config.rate };
  },
});

const read = (id: string) =>
  Effect.gen(function* () {
    const { store } = yield* Pipeline;
    return Json.decode(yield* store.readBlob(id));
  });

Deno.test("with({ config }) extends the declared config; its key is the declared config's when they agree", async () => {
  seen.length = 0;
  await Effect.runPromise(
    Effect.gen(function* () {
      const x = yield* input.value(3);
      const declared = yield* grow({ x });
      const two = yield* grow.with({ config: { rate: 2 } })({ x });
      const again = yield* grow.with({ config: { rate: 2 } })({ x });
      const same = yield* grow.with({ config: { rate: 1 } })({ x });
      const chained = yield* grow.with({ config: { rate: 2 } }).with({ config: { base: 0 } })({
        x,
      });
      assert.equal(yield* read(declared.y.id), 13);
      assert.equal(yield* read(two.y.id), 16);
      assert.equal(yield* read(chained.y.id), 6);
      assert.equal(again.y.producer, two.y.producer, "the same config given again is a hit");
      assert.equal(same.y.producer, declared.y.producer, "the declared config given is a hit");
      const { store } = yield* Pipeline;
      const record = (yield* store.readRecord(two.y.producer!)) as unknown as {
        components: { config: unknown };
      };
      assert.deepEqual(record.components.config, { base: 10, rate: 2 });
    }).pipe(Effect.provide(Pipeline.layerTemp)),
  );
  assert.deepEqual(seen, [
    { rate: 1, base: 10 },
    { rate: 2, base: 10 },
    { rate: 2, base: 0 },
  ]);
});

Deno.test("a config given at invocation that is not plain data fails as a declared one does", async () => {
  const exit = await Effect.runPromiseExit(
    Effect.gen(function* () {
      const x = yield* input.value(1);
      return yield* grow.with({ config: { rate: (() => 2) as unknown as number } })({ x });
    }).pipe(Effect.provide(Pipeline.layerTemp)),
  );
  assert.equal(exit._tag, "Failure");
  const error = exit._tag === "Failure"
    ? (exit.cause.reasons[0] as { error?: unknown }).error
    : undefined;
  assert.ok(error instanceof PipelineError);
  assert.equal(error.reason._tag, "ConfigNotCanonical");
  assert.match(error.message, /config\.rate/);
});

Deno.test("in a worker, a step with its config given at invocation runs with that config (a Date survives)", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-with-" });
  try {
    const [y, pid, y2] = await Effect.runPromise(
      Effect.gen(function* () {
        const x = yield* input.value(5);
        const out = yield* scaled.with({ config: { factor: 3 } })({ x });
        const again = yield* scaled.with({ config: { factor: 4, when: new Date(1) } })({ x });
        return [yield* read(out.y.id), yield* read(out.pid.id), yield* read(again.y.id)];
      }).pipe(Effect.provide(
        Pipeline.layerDisk({ root: `${dir}/store`, executor: workers({ size: 1 }) }),
      )),
    );
    assert.equal(y, 15);
    assert.equal(y2, 20, "the Date arrives as a Date");
    assert.notEqual(pid, Deno.pid, "it ran in the worker, not refused");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

const echo = command({
  name: "with.echo",
  outputs: { out: Text },
  config: { word: "declared" },
  tools: ["sh"],
  sandbox: false,
  argv: ({ outputs, config }) => ["sh", "-c", `echo ${config.word} > "$1"`, "sh", outputs.out],
});

Deno.test("a command's argv receives the config given at invocation", async () => {
  await Effect.runPromise(
    Effect.gen(function* () {
      const declared = yield* echo({});
      const given = yield* echo.with({ config: { word: "given" } })({});
      const { store } = yield* Pipeline;
      const text = (id: string) =>
        Effect.map(store.readBlob(id), (b) => new TextDecoder().decode(b).trim());
      assert.equal(yield* text(declared.out.id), "declared");
      assert.equal(yield* text(given.out.id), "given");
    }).pipe(Effect.provide(Pipeline.layerTemp)),
  );
});
