// `cairn logs`: what a command's program printed — by run id, by scenario and
// step@iteration (a hit's are the run it reused; a failed invocation's are kept with
// its scenario record) — and `cairn why` naming a command's changed source.
import assert from "node:assert/strict";
import { withProject } from "../lib/pipeline/_project.ts";
import { PATH } from "../lib/pipeline/command/_model.ts";
import { cairn, cairnJson, cairnOk, short } from "./_fixture.ts";

const PIPELINE = `import { Effect } from "effect";
import { command, iterate, Json, run, scenario, step, Text } from "cairn";

const seed = step({ name: "seed", outputs: { n: Json }, run: () => ({ n: 2 }) });

const model = command({
  name: "model",
  inputs: { n: Json },
  outputs: { result: Text },
  sources: ["model.sh"],
  tools: ["sh"],
  argv: ({ inputs, outputs }) => ["sh", "model.sh", inputs.n, outputs.result],
});

const program = scenario("logs", {}, Effect.gen(function* () {
  const { n } = yield* seed({});
  yield* iterate({ times: 2 }, 0, (i) => Effect.gen(function* () {
    yield* model({ n });
    return i + 1;
  }));
}));

if (import.meta.main) await run(program);
`;

const MODEL = `echo "out one"
echo "out two"
echo "err one" >&2
cat "$1" > "$2"
`;

interface LogsJson {
  run: string | null;
  step: string | null;
  iteration: number | null;
  hitOf: string | null;
  stdout: { id: string; text: string } | null;
  stderr: { id: string; text: string } | null;
}

Deno.test("logs prints a command's stdout and stderr by run and by scenario step; a hit's are the reused run's", async () => {
  await withProject({ "pipeline.ts": PIPELINE, "model.sh": MODEL }, async (p) => {
    const first = await p.run({ env: { PATH }, scenario: "logs" });
    const run = p.runRecord(first, "model@1");
    const runId = (first.record!.invocations as { step: string; iteration: number; run: string }[])
      .find((i) => i.step === "model" && i.iteration === 1)!.run;
    assert.ok(run.logs, "the run record links its logs");
    assert.ok((run.links as string[]).includes((run.logs as { stdout: string }).stdout));

    const byRun = await cairnJson<LogsJson>(["logs", short(runId), "--store", p.store]);
    assert.equal(byRun.run, runId);
    assert.equal(byRun.step, "model");
    assert.equal(byRun.iteration, 1);
    assert.equal(byRun.stdout!.text, "out one\nout two\n");
    assert.equal(byRun.stderr!.text, "err one\n");

    const text = await cairnOk(["logs", "logs", "model@1", "--store", p.store]);
    assert.equal(
      text,
      `model@1  run ${
        short(runId)
      }\n── stdout (16 bytes, 2 lines) ──\nout one\nout two\n── stderr (8 bytes, 1 line) ──\nerr one\n`,
    );
    assert.equal(
      await cairnOk(["logs", "logs", "model@1", "--stderr", "--store", p.store]),
      "err one\n",
    );
    assert.equal(
      await cairnOk(["logs", short(runId), "--stdout", "--store", p.store]),
      "out one\nout two\n",
    );

    // A second run is all hits: the logs are the original run's.
    await p.run({ env: { PATH }, scenario: "logs" });
    const hit = await cairnJson<LogsJson>(["logs", "logs", "model@1", "--store", p.store]);
    assert.equal(hit.hitOf, runId);
    assert.equal(hit.stdout!.text, "out one\nout two\n");

    // A plain step has no logs: exit 2, one line.
    const seed = await cairn(["logs", "logs", "seed", "--store", p.store]);
    assert.equal(seed.code, 2);
    assert.match(seed.stderr, /it is a step's run, and only commands' programs have logs/);
  });
});

Deno.test("logs of a failed command come from its scenario record; why names the source that changed", async () => {
  await withProject({ "pipeline.ts": PIPELINE, "model.sh": MODEL }, async (p) => {
    await p.run({ env: { PATH }, scenario: "logs" });
    p.write(
      "model.sh",
      'i=1\nwhile [ $i -le 25 ]; do echo "line $i" >&2; i=$((i+1)); done\nexit 4\n',
    );
    const failed = await p.run({ env: { PATH }, scenario: "logs", fails: true });
    assert.match(failed.stderr, /whole log: cairn logs logs model@0/);
    const logs = await cairnJson<LogsJson>(["logs", "logs", "model@0", "--store", p.store]);
    assert.equal(logs.run, null);
    assert.equal(logs.stderr!.text.split("\n").length, 26);
    assert.match(logs.stderr!.text, /^line 1\nline 2\n/);

    p.write("model.sh", `${MODEL}echo fixed\n`);
    await p.run({ env: { PATH }, scenario: "logs" });
    const why = await cairnJson<{ changes: { part: string; path: string }[] }>(
      ["why", "logs", "model@0", "--store", p.store],
    );
    assert.deepEqual(why.changes.map((c) => [c.part, c.path]), [["sources", "sources.model.sh"]]);
    const text = await cairnOk(["why", "logs", "model@0", "--store", p.store]);
    assert.match(text, /^ {2}sources\.model\.sh: changed \([0-9a-f]{12} → [0-9a-f]{12}\)$/m);
  });
});
