// Mutation tests for a command's tools: the executable found on PATH enters the key by
// its bytes (a tool replaced by another binary re-runs the command), and a declared
// version probe by its output (a library upgraded under an unchanged interpreter).
import assert from "node:assert/strict";
import { PATH } from "./_model.ts";
import { withProject } from "../_project.ts";

const DIGEST = `import { Effect } from "effect";
import { command, input, run, scenario, Text } from "cairn";

const digest = command({
  name: "digest",
  inputs: { data: Text },
  outputs: { sum: Text },
  tools: ["sh", { name: "digest", version: ["digest", "--version"] }],
  argv: ({ inputs, outputs }) => ["sh", "-c", 'digest "$1" > "$2"', "sh", inputs.data, outputs.sum],
});

const program = scenario("mutation", {}, Effect.gen(function* () {
  const data = yield* input.file("data.txt", Text);
  yield* digest({ data });
}));

if (import.meta.main) await run(program);
`;

const install = (dir: string, from: string) => {
  Deno.mkdirSync(`${dir}/bin`, { recursive: true });
  try {
    Deno.removeSync(`${dir}/bin/digest`);
  } catch {
    // first install
  }
  Deno.copyFileSync(from, `${dir}/bin/digest`);
  Deno.chmodSync(`${dir}/bin/digest`, 0o755);
};

Deno.test("a tool replaced by another binary re-runs the command, and why names tools.digest", async () => {
  await withProject({ "pipeline.ts": DIGEST, "data.txt": "volumes\n" }, async (p) => {
    const env = { PATH: `${p.dir}/bin:${PATH}` };
    install(p.dir, "/usr/bin/sha256sum");
    const first = await p.run({ env });
    assert.deepEqual(first.steps, { digest: "miss" });
    assert.match(p.output(first, "digest", "sum"), /^[0-9a-f]{64} {2}in\/data\.txt\n$/);
    const same = await p.run({ env });
    assert.deepEqual(same.steps, { digest: "hit" });
    install(p.dir, "/usr/bin/md5sum");
    const out = await p.run({ env });
    assert.deepEqual(out.steps, { digest: "miss" });
    assert.match(p.output(out, "digest", "sum"), /^[0-9a-f]{32} {2}in\/data\.txt\n$/);
    assert.match(out.stderr, /miss digest key \w+: tools\.digest\.executable: changed/);
    assert.match(
      out.stderr,
      /tools\.digest\.version: changed \("sha256sum \(GNU coreutils\) [0-9.]+…" → "md5sum \(GNU coreutils\) [0-9.]+…"\)/,
    );
    const record = p.runRecord(out, "digest");
    assert.deepEqual((record.command as { tools: unknown }).tools, {
      sh: Deno.realPathSync("/usr/bin/sh"),
      digest: `${p.dir}/bin/digest`,
    });
  });
});

const PROBED = `import { Effect } from "effect";
import { command, Json, run, scenario } from "cairn";

const version = command({
  name: "version",
  outputs: { v: Json },
  tools: [{ name: "python3", version: ["python3", "-c", "import mymod; print(mymod.__version__)"] }],
  env: ["PYTHONPATH"],
  argv: ({ outputs }) => ["python3", "-c", "import json, sys, mymod; json.dump(mymod.__version__, open(sys.argv[1], 'w'))", outputs.v],
});

const program = scenario("mutation", {}, Effect.gen(function* () {
  yield* version({});
}));

if (import.meta.main) await run(program);
`;

Deno.test("a version probe's output enters the key: a library upgraded under the same interpreter re-runs", async () => {
  await withProject(
    { "pipeline.ts": PROBED, "site/mymod.py": '__version__ = "1.0"\n' },
    async (p) => {
      const env = { PATH, PYTHONPATH: `${p.dir}/site`, CAIRN_SANDBOX: "0" };
      const first = await p.run({ env });
      assert.equal(p.output(first, "version", "v"), '"1.0"');
      assert.deepEqual((await p.run({ env })).steps, { version: "hit" });
      p.edit("site/mymod.py", '"1.0"', '"2.0"');
      const out = await p.run({ env });
      assert.deepEqual(out.steps, { version: "miss" });
      assert.equal(p.output(out, "version", "v"), '"2.0"');
      assert.match(out.stderr, /tools\.python3\.version: changed \("1\.0" → "2\.0"\)/);
    },
  );
});

Deno.test("argv[0] must be a declared tool or source: the error says what to declare", async () => {
  const undeclared = DIGEST.replace(
    'tools: ["sh", { name: "digest", version: ["digest", "--version"] }],',
    'tools: [{ name: "digest" }],',
  );
  await withProject({ "pipeline.ts": undeclared, "data.txt": "volumes\n" }, async (p) => {
    install(p.dir, "/usr/bin/sha256sum");
    const out = await p.run({ env: { PATH: `${p.dir}/bin:${PATH}` }, fails: true });
    assert.match(
      out.stderr,
      /step "digest": argv\[0\] "sh" is not among its tools.*add "sh" to `tools`/,
    );
    assert.deepEqual(out.steps, { digest: "failed" });
  });
});

Deno.test("a tool that is not on PATH fails the invocation naming it and the PATH searched", async () => {
  await withProject({ "pipeline.ts": DIGEST, "data.txt": "volumes\n" }, async (p) => {
    const out = await p.run({ env: { PATH }, fails: true });
    assert.match(
      out.stderr,
      /its tool "digest" is not on PATH \(\/usr\/local\/bin:\/usr\/bin:\/bin\)/,
    );
  });
});
