// The entry point: help, and how errors end — one line on stderr and exit 2 for a
// question that cannot be answered as asked.
import assert from "node:assert/strict";
import { assertOneErrorLine, cairn, CLI, runDemo, withTempDir } from "./_fixture.ts";

const COMMANDS = [
  "lineage",
  "impact, consumers",
  "why",
  "logs",
  "runs",
  "show",
  "artifacts",
  "scenarios",
  "diff",
  "graph",
  "export",
  "materialize",
  "gc",
  "fsck",
  "reindex",
];

const oneErrorLine = (stderr: string, pattern: RegExp) => {
  const lines = stderr.trim().split("\n");
  assert.equal(lines.length, 1, `one line, got:\n${stderr}`);
  assert.match(lines[0]!, /^error: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(stderr, /\bat .*\.ts:\d+/, "no stack trace");
};

Deno.test("--help lists every command and exits 0", async () => {
  const result = await cairn(["--help"]);
  assert.equal(result.code, 0);
  for (const name of COMMANDS) assert.match(result.stdout, new RegExp(`^  ${name} `, "m"));
});

Deno.test("an unknown id prefix, a missing store and a store of another format exit 2 with one line", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    await runDemo(root, { rate: 1.1, n: 1 });

    const unknown = await cairn(["lineage", "0000000f", "--store", root]);
    assert.equal(unknown.code, 2);
    oneErrorLine(unknown.stderr, /Cannot find "0000000f"/);
    assert.equal(unknown.stdout, "");

    // Two (fake) objects share a prefix: it names neither.
    const fanout = `${root}/objects/ab`;
    Deno.mkdirSync(fanout, { recursive: true });
    Deno.writeTextFileSync(`${fanout}/cd${"0".repeat(60)}`, "");
    Deno.writeTextFileSync(`${fanout}/cd${"1".repeat(60)}`, "");
    const ambiguous = await cairn(["show", "abcd", "--store", root]);
    assert.equal(ambiguous.code, 2);
    oneErrorLine(ambiguous.stderr, /2 object ids start with it; give more characters/);

    const missing = await cairn(["runs", "--store", `${dir}/nowhere`]);
    assert.equal(missing.code, 2);
    oneErrorLine(missing.stderr, /Cannot open store ".*nowhere": no store there/);

    Deno.mkdirSync(`${dir}/empty`);
    const empty = await cairn(["scenarios", "--store", `${dir}/empty`]);
    assert.equal(empty.code, 2);
    oneErrorLine(empty.stderr, /it is not a cairn store/);

    Deno.writeTextFileSync(`${root}/format`, "cairn-store 9\n");
    const other = await cairn(["lineage", "x", "--store", root]);
    assert.equal(other.code, 2);
    oneErrorLine(
      other.stderr,
      /its format is "cairn-store 9" but this cairn reads "cairn-store 1"/,
    );
  });
});

Deno.test("$CAIRN_STORE is the default store", async () => {
  await withTempDir(async (dir) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-config", CLI, "scenarios"],
      env: { CAIRN_STORE: `${dir}/elsewhere`, NO_COLOR: "1" },
      stderr: "piped",
      stdout: "null",
    }).output();
    assert.equal(out.code, 2);
    assert.match(new TextDecoder().decode(out.stderr), /elsewhere": no store there/);
  });
});

Deno.test("a usage error exits 2", async () => {
  const result = await cairn(["runs", "--no-such-flag"]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /no-such-flag/);
});

Deno.test("a usage error prints the problem first and a short usage on stderr, not the help", async () => {
  const cases: [string[], RegExp, RegExp][] = [
    [["runs", "--no-such-flag"], /^error: .*--no-such-flag/, /^usage: cairn runs \[flags\]$/],
    [["lineage"], /^error: Missing required argument: target$/, /^usage: cairn lineage /],
    [["lineagee", "x"], /^error: .*"lineagee".*did you mean "lineage"\?$/, /^usage: cairn /],
    [["runs", "--limit", "x"], /^error: .*--limit.*"x"/, /^usage: cairn runs /],
  ];
  for (const [args, problem, usage] of cases) {
    const result = await cairn(args);
    const lines = result.stderr.trimEnd().split("\n");
    assert.equal(result.code, 2, `cairn ${args.join(" ")}`);
    assert.equal(result.stdout, "", `cairn ${args.join(" ")}: the help is not printed`);
    assert.match(lines[0]!, problem);
    assert.match(lines[1]!, usage);
    assert.match(
      lines[2]!,
      new RegExp(`^"cairn ${args[0] === "lineagee" ? "" : `${args[0]} `}--help" lists`),
    );
    assert.equal(lines.length, 3, result.stderr);
  }
});

Deno.test("--store with an empty path is a usage error, not the default store", async () => {
  await withTempDir(async (dir) => {
    // A store in the working directory's default place must not be read.
    await runDemo(`${dir}/.cairn`, { rate: 1.1, n: 1 });
    for (const args of [["scenarios", "--store", ""], ["runs", "--store="]]) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-config", CLI, ...args],
        cwd: dir,
        env: { NO_COLOR: "1", CAIRN_PROGRESS: "0" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 2, `cairn ${args.join(" ")}: ${stderr}`);
      assert.equal(out.stdout.length, 0);
      assert.match(stderr.split("\n")[0]!, /^error: .*--store.*not an empty path/);
    }
  });
});

Deno.test("a target that names nothing suggests the closest scenario or output name", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    await runDemo(root, { rate: 1.1, n: 1, name: "equilibrium" });
    const store = ["--store", root];
    assertOneErrorLine(
      await cairn(["lineage", "equilibirum", ...store]),
      /^error: Cannot find "equilibirum": .*\(did you mean "equilibrium"\?\); list them with/,
    );
    assertOneErrorLine(
      await cairn(["show", "equilibrium:yy", ...store]),
      /\(did you mean "equilibrium:y"\?\)/,
    );
    assertOneErrorLine(
      await cairn(["diff", "equilibrium", "equilibirum~1", ...store]),
      /^error: Cannot find scenario "equilibirum~1": .*did you mean "equilibrium~1"\?$/,
    );
    assertOneErrorLine(
      await cairn(["artifacts", "--name", "yy", ...store]),
      /^error: Cannot find output "yy": .*did you mean "y"\?$/,
    );
  });
});
