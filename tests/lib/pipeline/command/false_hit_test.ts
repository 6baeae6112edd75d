// The silent false hit a new user found: a step that runs a Python script through
// Deno.Command (the ~15 lines each such step took) does not know the script is part
// of what it computes, so editing the script is a cache hit with the stale result.
// `command` declares the script as a source: the same edit re-runs the step.
import assert from "node:assert/strict";
import { withProject } from "../_project.ts";

const SCRIPT = `import sys
alpha = float(sys.argv[1])
factor = 2
if len(sys.argv) > 2:
    open(sys.argv[2], "w").write(f"{alpha * factor}\\n")
else:
    print(f"{alpha * factor}")
`;

// What a user wrote before `command` existed.
const WRAPPED = `import { Effect } from "effect";
import { Json, run, scenario, step } from "cairn";

const congestion = step({
  name: "congestion",
  outputs: { times: Json },
  config: { alpha: 0.25 },
  run: async (_inputs, config) => {
    const out = await new Deno.Command("python3", {
      args: ["py/bpr.py", String(config.alpha)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    return { times: Number(new TextDecoder().decode(out.stdout).trim()) };
  },
});

const program = scenario("mutation", {}, Effect.gen(function* () {
  yield* congestion({});
}));

if (import.meta.main) await run(program);
`;

const COMMAND = `import { Effect } from "effect";
import { command, Json, run, scenario } from "cairn";

const congestion = command({
  name: "congestion",
  outputs: { times: Json },
  config: { alpha: 0.25 },
  sources: ["py/bpr.py"],
  tools: ["python3"],
  argv: ({ outputs, config }) => ["python3", "py/bpr.py", String(config.alpha), outputs.times],
});

const program = scenario("mutation", {}, Effect.gen(function* () {
  yield* congestion({});
}));

if (import.meta.main) await run(program);
`;

const PATH = "/usr/local/bin:/usr/bin:/bin";

Deno.test("a step that runs a script through Deno.Command is a false hit when the script is edited (why command exists)", async () => {
  await withProject({ "pipeline.ts": WRAPPED, "py/bpr.py": SCRIPT }, async (p) => {
    const first = await p.run({ env: { PATH } });
    assert.equal(p.output(first, "congestion", "times"), "0.5");
    p.edit("py/bpr.py", "factor = 2", "factor = 3");
    const second = await p.run({ env: { PATH } });
    // The stale result: nothing in the step's key covers py/bpr.py.
    assert.deepEqual(second.steps, { congestion: "hit" });
    assert.equal(p.output(second, "congestion", "times"), "0.5");
  });
});

Deno.test("a command that declares its script as a source re-runs when the script is edited", async () => {
  await withProject({ "pipeline.ts": COMMAND, "py/bpr.py": SCRIPT }, async (p) => {
    const first = await p.run({ env: { PATH } });
    assert.deepEqual(first.steps, { congestion: "miss" });
    assert.equal(p.output(first, "congestion", "times").trim(), "0.5");
    const same = await p.run({ env: { PATH } });
    assert.deepEqual(same.steps, { congestion: "hit" });
    p.edit("py/bpr.py", "factor = 2", "factor = 3");
    const second = await p.run({ env: { PATH } });
    assert.deepEqual(second.steps, { congestion: "miss" });
    assert.match(p.output(second, "congestion", "times").trim(), /^0\.75$/);
    assert.match(second.stderr, /sources\.py\/bpr\.py: changed/);
  });
});
