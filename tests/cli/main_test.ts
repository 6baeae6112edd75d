// The entry point: help, and how errors end — one line on stderr and exit 2 for a
// question that cannot be answered as asked.
import assert from "node:assert/strict";
import { cairn, CLI, runDemo, withTempDir } from "./_fixture.ts";

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
