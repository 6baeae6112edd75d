// A command that fails — non-zero exit, a signal, its timeout, a declared output not
// created — fails its step with a typed error that says what happened, shows the end of
// its stderr and how to see the rest; nothing is cached, the scenario records the
// failure with the logs, and the run resumes once the program is fixed.
import assert from "node:assert/strict";
import { PATH } from "./_model.ts";
import { withProject } from "../_project.ts";
import { sandboxTest } from "../../../_sandbox.ts";

// A step, then the command `model` (a shell script of the project), twice in a loop.
const PIPELINE = (options = "") =>
  `import { Effect } from "effect";
import { command, iterate, Json, run, scenario, step, Text } from "cairn";

const prepare = step({ name: "prepare", outputs: { n: Json }, run: () => ({ n: 3 }) });

const model = command({
  name: "model",
  inputs: { n: Json },
  outputs: { result: Text },
  sources: ["model.sh"],
  tools: ["sh"],
  ${options}
  argv: ({ inputs, outputs }) => ["sh", "model.sh", inputs.n, outputs.result],
});

const program = scenario("mutation", {}, Effect.gen(function* () {
  const { n } = yield* prepare({});
  yield* iterate({ times: 2 }, 0, (i) => Effect.gen(function* () {
    yield* model({ n });
    return i + 1;
  }));
}));

if (import.meta.main) await run(program);
`;

const env = { PATH, CAIRN_PROGRESS: "0" };

const FAILING = `i=1
while [ $i -le 30 ]; do echo "stderr line $i" >&2; i=$((i+1)); done
echo "to stdout"
exit 3
`;

Deno.test("a non-zero exit fails the step naming step, iteration, exit code and the last 20 lines of stderr; nothing is cached; fixed, it resumes", async () => {
  await withProject({ "pipeline.ts": PIPELINE(), "model.sh": FAILING }, async (p) => {
    const out = await p.run({ env, fails: true });
    assert.equal(out.code, 1);
    assert.deepEqual(out.steps, { prepare: "miss", "model@0": "failed" });
    const error = out.stderr.slice(out.stderr.indexOf("error: "));
    assert.match(error, /^error: Command "model" failed in iteration 0: it exited with code 3;/);
    assert.match(error, /nothing was cached/);
    assert.match(error, /the last 20 of its 30 lines of stderr:\n {2}stderr line 11\n/);
    assert.match(error, / {2}stderr line 30\nwhole log: cairn logs mutation model@0/);
    assert.doesNotMatch(error, /stderr line 10\n/);
    // The whole log is kept with the failed invocation (the scenario record links it).
    const invocation = (out.record!.invocations as { step: string; logs?: { stderr: string } }[])
      .find((i) => i.step === "model")!;
    assert.ok(invocation.logs, "the failed invocation names its logs");
    assert.ok((out.record!.links as string[]).includes(invocation.logs.stderr));
    // Not cached: the same program fails again.
    const again = await p.run({ env, fails: true });
    assert.deepEqual(again.steps, { prepare: "hit", "model@0": "failed" });
    p.write("model.sh", 'echo "n=$(cat "$1")" > "$2"\n');
    const fixed = await p.run({ env });
    assert.deepEqual(fixed.steps, { prepare: "hit", "model@0": "miss", "model@1": "miss" });
    assert.equal(p.output(fixed, "model@1", "result"), "n=3\n");
  });
});

for (const [where, sandbox] of [["sandbox", "1"], ["host", "0"]] as const) {
  (where === "sandbox" ? sandboxTest : Deno.test)(
    `a program killed by a signal fails the step naming the signal (${where})`,
    async () => {
      await withProject(
        { "pipeline.ts": PIPELINE(), "model.sh": "echo dying >&2\nkill -KILL $$\n" },
        async (p) => {
          const out = await p.run({ env: { ...env, CAIRN_SANDBOX: sandbox }, fails: true });
          assert.match(
            out.stderr,
            /Command "model" failed in iteration 0: it was killed by SIGKILL;/,
          );
          assert.match(out.stderr, /its stderr:\n {2}dying\n/);
        },
      );
    },
  );
}

Deno.test("a program that runs past its timeout is stopped and fails the step", async () => {
  await withProject({
    "pipeline.ts": PIPELINE('timeout: "300ms",'),
    "model.sh": "echo waiting >&2\nsleep 30\n",
  }, async (p) => {
    const t0 = performance.now();
    const out = await p.run({ env, fails: true });
    assert.ok(performance.now() - t0 < 10_000, "stopped long before the program would end");
    assert.match(out.stderr, /it ran longer than its timeout \(300 ms\) and was stopped;/);
    assert.deepEqual(out.steps, { prepare: "miss", "model@0": "failed" });
  });
});

Deno.test("a declared output missing after exit 0 fails the step naming it; files left behind are listed", async () => {
  const script = 'echo stray > stray.txt\necho extra > out/extra.csv\necho "no result"\n';
  await withProject({ "pipeline.ts": PIPELINE(), "model.sh": script }, async (p) => {
    const out = await p.run({ env, fails: true });
    assert.match(
      out.stderr,
      /Command "model" did not create its output "result" in iteration 0: it exited 0, but a file was expected at "out\/result\.txt".*nothing is there/,
    );
    assert.match(out.stderr, /its log: cairn logs mutation model@0/);
    p.write("model.sh", `${script}echo done > "$2"\n`);
    const fixed = await p.run({ env });
    assert.match(
      fixed.stderr,
      /model@0: left behind \(not declared outputs, not kept\): out\/extra\.csv, stray\.txt/,
    );
    const record = p.runRecord(fixed, "model@0");
    assert.deepEqual((record.command as { leftovers: string[] }).leftovers, [
      "out/extra.csv",
      "stray.txt",
    ]);
  });
});

Deno.test("a command's output streams live: each line reaches stderr while the program still runs", async () => {
  const script =
    'echo "first line"\nwhile [ ! -e "$HOME/go" ]; do sleep 0.05; done\necho ok > "$2"\n';
  // The test cannot reach the sandboxed work directory's files; it reads stderr and
  // then lets the program finish by way of a file it watches.
  await withProject(
    { "pipeline.ts": PIPELINE("sandbox: false,"), "model.sh": script },
    async (p) => {
      const child = p.spawn({ env });
      const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
      let seen = "";
      while (!seen.includes("first line\n")) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stderr ended before the line: ${seen}`);
        seen += value;
      }
      // The program is still running (waiting for "go" in its HOME): release it, and
      // the next iteration's run too.
      const scratch = [...Deno.readDirSync(`${p.store}/tmp`)].filter((e) =>
        e.name.startsWith("run-")
      );
      assert.equal(scratch.length, 1, "the command's work directory exists while it runs");
      let done = false;
      const release = (async () => {
        while (!done) {
          for (const e of Deno.readDirSync(`${p.store}/tmp`)) {
            if (!e.name.startsWith("run-")) continue;
            try {
              Deno.writeTextFileSync(`${p.store}/tmp/${e.name}/go`, "");
            } catch {
              // not made yet, or gone
            }
          }
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      for (;;) if ((await reader.read()).done) break;
      done = true;
      await release;
      const status = await child.status;
      assert.equal(status.code, 0);
      child.stdout.cancel();
    },
  );
});

Deno.test("on a terminal each line of a command's output is prefixed with its step and iteration; piped, lines are plain", async () => {
  const script = 'echo "out line"\necho "err line" >&2\ncat "$1" > "$2"\n';
  await withProject({ "pipeline.ts": PIPELINE(), "model.sh": script }, async (p) => {
    const piped = await p.run({ env });
    assert.match(piped.stderr, /^out line$/m);
    assert.match(piped.stderr, /^err line$/m);
    // script(1) (bsdutils) runs the pipeline on a pseudo-terminal.
    const deno = `${Deno.execPath()} run -A pipeline.ts`;
    const tty = await new Deno.Command("script", {
      args: ["-qec", deno, "/dev/null"],
      cwd: p.dir,
      env: { CAIRN_STORE: `${p.store}-tty`, CAIRN_PROGRESS: "0", PATH, TERM: "dumb" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(tty.stdout).replace(/\r/g, "");
    assert.equal(tty.code, 0, text);
    assert.match(text, /^\[model@0\] out line$/m);
    assert.match(text, /^\[model@1\] err line$/m);
  });
});
