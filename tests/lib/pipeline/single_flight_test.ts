// Single-flight: identical invocations in flight at once compute once — in one
// process, and across processes on one store — and the others take the hit; a
// waiter whose computing process dies takes over.
import assert from "node:assert/strict";
import { Effect } from "effect";
import { Pipeline, scenario, workers } from "../../../mod.ts";
import { counted } from "./workers/_steps.ts";

Deno.env.set("CAIRN_PROGRESS", "0");

const withDirs = async (f: (root: string, count: string) => Promise<void>) => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-flight-" });
  Deno.mkdirSync(`${dir}/count`);
  Deno.env.set("CAIRN_COUNT_DIR", `${dir}/count`);
  try {
    await f(`${dir}/store`, `${dir}/count`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
};

const runs = (count: string) => [...Deno.readDirSync(count)].length;

for (const [label, executor] of [["in process", undefined], ["with workers", 4]] as const) {
  Deno.test(`eight identical invocations at once compute once (${label}); the others are hits`, async () => {
    await withDirs(async (root, count) => {
      const layer = Pipeline.layerDisk(
        executor === undefined ? { root } : { root, executor: workers({ size: executor }) },
      );
      const program = scenario(
        "sweep",
        {},
        Effect.all(Array.from({ length: 8 }, () => counted({})), { concurrency: "unbounded" }),
      );
      const outs = await Effect.runPromise(program.pipe(Effect.provide(layer)));
      assert.equal(runs(count), 1, "computed once");
      assert.equal(new Set(outs.map((o) => o.y.id)).size, 1);
      const record = await Effect.runPromise(
        Effect.gen(function* () {
          const { store } = yield* Pipeline;
          return yield* store.readRecord((yield* store.readRef("scenarios/sweep"))!);
        }).pipe(Effect.provide(Pipeline.layerDisk({ root }))),
      );
      const invocations = record.invocations as { hit: boolean; run: string }[];
      assert.equal(invocations.length, 8);
      assert.equal(invocations.filter((i) => !i.hit).length, 1, "one miss, seven hits");
      assert.equal(new Set(invocations.map((i) => i.run)).size, 1, "all name the one run");
    });
  });
}

const FIXTURE = `${import.meta.dirname}/_flight_pipeline.ts`;

const spawnFixture = (root: string, count: string, hold?: string) =>
  new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", FIXTURE, root],
    env: { CAIRN_COUNT_DIR: count, CAIRN_PROGRESS: "0", ...(hold ? { CAIRN_HOLD: hold } : {}) },
    stdout: "piped",
    stderr: "piped",
  }).spawn();

Deno.test("processes started at once on one store compute a key once; the others wait and take the hit", async () => {
  await withDirs(async (root, count) => {
    const children = Array.from({ length: 4 }, () => spawnFixture(root, count));
    const outs = await Promise.all(children.map((c) => c.output()));
    for (const out of outs) assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(runs(count), 1, "computed once across four processes");
    const ids = outs.map((o) => new TextDecoder().decode(o.stdout).trim());
    assert.equal(new Set(ids).size, 1, ids.join(" "));
  });
});

Deno.test("a process waiting for a key takes over when the process computing it is killed", async () => {
  await withDirs(async (root, count) => {
    const dir = `${count}/../hold`;
    Deno.mkdirSync(dir);
    // The first process computes the key and stops in the middle (CAIRN_HOLD): killed there.
    const first = spawnFixture(root, count, dir);
    const deadline = Date.now() + 60_000;
    while (runs(count) === 0) {
      if (Date.now() > deadline) throw new Error("the first process never started the step");
      await new Promise((r) => setTimeout(r, 20));
    }
    const second = spawnFixture(root, count);
    // The second waits while the first lives …
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(runs(count), 1, "the second waits for the first");
    first.kill("SIGKILL");
    await first.output();
    // … and computes the key itself once the first is gone.
    const out = await second.output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(runs(count), 2, "the second took over");
  });
});
