// Mutation tests for the false hits a new user found: step factories, an edit while a
// run is in flight, `iterationInvariant` misuse, and two steps sharing a name. Each
// runs a real project in a child process and asserts which steps ran and what came back.
import assert from "node:assert/strict";
import { type TempProject, withProject } from "./_project.ts";

const FACTORY_CAPTURE = `import { Effect } from "effect";
import { Json, run, scenario, step } from "cairn";

const scaled = (f: number) =>
  step({ name: "scaled", outputs: { y: Json }, run: () => ({ y: 10 * f }) });

const program = scenario("mutation", {}, Effect.gen(function* () {
  const a = yield* scaled(2)({});
  const b = yield* scaled(3)({});
  console.log(JSON.stringify([a.y.id, b.y.id]));
}));

if (import.meta.main) await run(program);
`;

const FACTORY_CONFIG = `import { Effect } from "effect";
import { Json, run, scenario, step } from "cairn";

const scaled = (f: number) =>
  step({ name: "scaled", outputs: { y: Json }, config: { f }, run: (_, c) => ({ y: 10 * c.f }) });

const program = scenario("mutation", {}, Effect.gen(function* () {
  yield* scaled(2)({});
  yield* scaled(3)({});
}));

if (import.meta.main) await run(program);
`;

Deno.test("a step whose run reads a factory's parameter is refused when declared, naming it", async () => {
  await withProject({ "pipeline.ts": FACTORY_CAPTURE }, async (p) => {
    const out = await p.run({ fails: true });
    assert.match(out.stderr, /step "scaled"/);
    assert.match(out.stderr, /captures? `f`/);
    assert.match(out.stderr, /pass `f` through `config`, or set `version`/);
    assert.doesNotMatch(out.stdout, /\[/, "no step ran");
  });
});

Deno.test("the factory pattern works with the parameter in config: scaled(2) and scaled(3) differ", async () => {
  await withProject({ "pipeline.ts": FACTORY_CONFIG }, async (p) => {
    const first = await p.run();
    assert.deepEqual(first.steps, { scaled: "miss", "scaled#2": "miss" });
    assert.equal(p.output(first, "scaled", "y"), "20");
    assert.equal(p.output(first, "scaled#2", "y"), "30");
    const second = await p.run();
    assert.deepEqual(second.steps, { scaled: "hit", "scaled#2": "hit" });
  });
});

Deno.test("captures are refused in every shape: a local const, a loop variable, a local helper", async () => {
  const source = `import { Json, step } from "cairn";
export const make = (n: number) => {
  const k = n * 2;
  const local = (x: number) => x + k;
  const shapes = [
    () => step({ name: "a", outputs: { y: Json }, run: () => ({ y: k }) }),
    () => step({ name: "b", outputs: { y: Json }, run: local }),
  ];
  for (const i of [1]) {
    shapes.push(() => step({ name: "c", outputs: { y: Json }, run: () => ({ y: i }) }));
  }
  const refused: string[] = [];
  for (const shape of shapes) {
    try {
      shape();
      refused.push("accepted");
    } catch (e) {
      refused.push((e as Error).message);
    }
  }
  return refused;
};
if (import.meta.main) console.log(JSON.stringify(make(1)));
`;
  await withProject({ "shapes.ts": source }, async (p) => {
    const out = await p.run({ script: "shapes.ts", scenario: null });
    const messages = JSON.parse(out.stdout) as string[];
    assert.equal(messages.length, 3);
    assert.match(messages[0]!, /step "a".*`k`/);
    assert.match(messages[1]!, /step "b".*`local`/);
    assert.match(messages[2]!, /step "c".*`i`/);
  });
});

Deno.test("a step that captures is accepted with an explicit version (the user vouches for it)", async () => {
  const source = FACTORY_CAPTURE.replace(
    `run: () => ({ y: 10 * f }) });`,
    "version: `scaled-${f}`, run: () => ({ y: 10 * f }) });",
  );
  await withProject({ "pipeline.ts": source }, async (p) => {
    const first = await p.run();
    assert.deepEqual(first.steps, { scaled: "miss", "scaled#2": "miss" });
    assert.equal(p.output(first, "scaled#2", "y"), "30");
  });
});

// The step `slow` waits (for a file the test creates) before `compute` is first invoked;
// the test edits helper.ts while it waits. This process loaded helper.ts before the edit,
// so `compute` returns the old value: caching it under the edited code's identity would
// be a permanent false hit for every later process.
const IN_FLIGHT = {
  "helper.ts": "export const value = (): number => 1;\n",
  "pipeline.ts": `import { Effect } from "effect";
import { Json, run, scenario, step } from "cairn";
import { value } from "./helper.ts";

const slow = step({
  name: "slow",
  outputs: { done: Json },
  env: ["RUN_ID"],
  run: async () => {
    Deno.writeTextFileSync("started", "");
    while (!Deno.env.get("NO_WAIT")) {
      try {
        Deno.statSync("go");
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    return { done: true };
  },
});

const compute = step({ name: "compute", outputs: { v: Json }, run: () => ({ v: value() }) });

const program = scenario("mutation", {}, Effect.gen(function* () {
  yield* slow({});
  const { v } = yield* compute({});
  console.log(v.id);
}));

if (import.meta.main) await run(program);
`,
};

const waitFor = async (path: string, child: Deno.ChildProcess) => {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      Deno.statSync(path);
      return;
    } catch {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`${path} never appeared`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
};

const runWithEdit = async (p: TempProject, edit: () => void) => {
  const child = p.spawn({ env: { RUN_ID: "1" } });
  await waitFor(`${p.dir}/started`, child);
  edit();
  Deno.writeTextFileSync(`${p.dir}/go`, "");
  const out = await child.output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
};

Deno.test("a helper edited while the run is in flight: the old code's result is returned, not cached", async () => {
  await withProject(IN_FLIGHT, async (p) => {
    const first = await runWithEdit(p, () => p.edit("helper.ts", "=> 1;", "=> 2;"));
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /compute.*not cached.*helper\.ts.*changed/);
    // The next process runs the edited code: compute must run again and give 2.
    const second = await p.run({ env: { RUN_ID: "1", NO_WAIT: "1" } });
    assert.equal(second.steps.slow, "hit");
    assert.equal(second.steps.compute, "miss");
    assert.equal(p.output(second, "compute", "v"), "2");
  });
});

Deno.test("an edit to a file no step reaches, while the run is in flight, changes nothing", async () => {
  await withProject({ ...IN_FLIGHT, "other.ts": "export const x = 1;\n" }, async (p) => {
    const first = await runWithEdit(p, () => p.edit("other.ts", "= 1", "= 2"));
    assert.equal(first.code, 0, first.stderr);
    assert.doesNotMatch(first.stderr, /not cached/);
    const second = await p.run({ env: { RUN_ID: "1", NO_WAIT: "1" } });
    assert.deepEqual(second.steps, { slow: "hit", compute: "hit" });
  });
});

const INVARIANT = (body: string) => ({
  "pipeline.ts": `import { Effect } from "effect";
import { iterate, Json, run, scenario, step } from "cairn";

const setup = step({
  name: "setup",
  outputs: { table: Json },
  iterationInvariant: true,
  run: (_inputs, _config, ctx) => (${body}),
});

const program = scenario("mutation", {}, iterate({ times: 3 }, 0, (n) =>
  Effect.gen(function* () {
    yield* setup({});
    return n + 1;
  })));

if (import.meta.main) await run(program);
`,
});

Deno.test("iterationInvariant: a step that never reads ctx.iteration runs once and is reused by every iteration", async () => {
  await withProject(INVARIANT(`{ table: [1, 2, 3] }`), async (p) => {
    const first = await p.run();
    assert.deepEqual(first.steps, { setup: "miss", "setup#2": "hit", "setup#3": "hit" });
    assert.equal(p.output(first, "setup", "table"), "[1,2,3]");
  });
});

Deno.test("iterationInvariant: reading ctx.iteration fails the step with a clear error", async () => {
  await withProject(INVARIANT(`{ table: [ctx.iteration] }`), async (p) => {
    const out = await p.run({ fails: true });
    assert.match(out.stderr, /step "setup".*iterationInvariant.*ctx\.iteration/s);
    assert.deepEqual(out.steps, { setup: "failed" });
    // Nothing was cached: the same run fails again rather than returning iteration 0's table.
    const again = await p.run({ fails: true });
    assert.deepEqual(again.steps, { setup: "failed" });
  });
});

Deno.test("iterationInvariant: reading ctx.iteration fails the step even when run catches the error", async () => {
  const body =
    `(() => { try { return { table: [ctx.iteration] }; } catch { return { table: [] }; } })()`;
  await withProject(INVARIANT(body), async (p) => {
    const out = await p.run({ fails: true });
    assert.match(out.stderr, /iterationInvariant/);
    assert.deepEqual(out.steps, { setup: "failed" });
  });
});

Deno.test("two steps with one name and different code in one program: a warning, once; both stay correct", async () => {
  const files = {
    "a.ts": `import { Json, step } from "cairn";
export const a = step({ name: "dup", outputs: { y: Json }, run: () => ({ y: "a" }) });
`,
    "b.ts": `import { Json, step } from "cairn";
export const b = step({ name: "dup", outputs: { y: Json }, run: () => ({ y: "b" }) });
`,
    "pipeline.ts": `import { Effect } from "effect";
import { run, scenario } from "cairn";
import { a } from "./a.ts";
import { b } from "./b.ts";
const program = scenario("mutation", {}, Effect.gen(function* () {
  for (let i = 0; i < 3; i++) {
    yield* a({});
    yield* b({});
  }
}));
if (import.meta.main) await run(program);
`,
  };
  await withProject(files, async (p) => {
    const out = await p.run();
    const warnings = out.stderr.split("\n").filter((l) => /two different steps.*"dup"/.test(l));
    assert.equal(warnings.length, 1, out.stderr);
    assert.match(warnings[0]!, /a\.ts/);
    assert.match(warnings[0]!, /b\.ts/);
    assert.equal(p.output(out, "dup", "y"), '"a"');
    assert.equal(p.output(out, "dup#2", "y"), '"b"');
    assert.deepEqual(Object.values(out.steps), ["miss", "miss", "hit", "hit", "hit", "hit"]);
  });
});

Deno.test("a factory making one step per config value warns of nothing (same code, same name)", async () => {
  await withProject({ "pipeline.ts": FACTORY_CONFIG }, async (p) => {
    const out = await p.run();
    assert.doesNotMatch(out.stderr, /two different steps/);
  });
});
