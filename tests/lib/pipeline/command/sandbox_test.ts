// The sandbox (bubblewrap): a command sees the system directories, its declared
// sources and tools, its inputs (read-only) and its output directory, and no network.
// A program that reads an undeclared file fails with an error naming that file,
// instead of producing a result whose key misses it. Without bubblewrap a command
// that asked for the sandbox fails; one that did not runs on the host, said once.
// bubblewrap missing: the suite says so and skips, except under CI=true.
import assert from "node:assert/strict";
import { PATH } from "./_model.ts";
import { withProject } from "../_project.ts";
import { sandboxTest } from "../../../_sandbox.ts";

// `reader` reads the file its config names, relative to its work directory (or absolute).
const READER = (options: string) =>
  `import { Effect } from "effect";
import { command, run, scenario, Text } from "cairn";

const reader = command({
  name: "reader",
  outputs: { copy: Text },
  config: { path: Deno.env.get("READ") ?? "data/extra.txt" },
  tools: ["python3"],
  ${options}
  argv: ({ outputs, config }) => ["python3", "py/read.py", config.path, outputs.copy],
});

if (import.meta.main) await run(scenario("mutation", {}, reader({})));
`;

const READ_PY = `import sys
open(sys.argv[2], "w").write(open(sys.argv[1]).read())
`;

const FILES = (options: string, sources = '["py/read.py"]') => ({
  "pipeline.ts": READER(`sources: ${sources},\n  ${options}`),
  "py/read.py": READ_PY,
  "data/extra.txt": "extra data\n",
});

sandboxTest(
  "under the sandbox, reading an undeclared file of the project fails naming it; declared, it is read",
  async () => {
    await withProject(FILES("sandbox: true,"), async (p) => {
      const out = await p.run({ env: { PATH }, fails: true });
      assert.match(
        out.stderr,
        /Command "reader" failed: it exited with code 1; it could not open "data\/extra\.txt", which exists but is not visible in the sandbox \(only system directories, declared sources and tools, inputs and outputs are\): add it to `sources`, or pass it as an input/,
      );
      assert.match(out.stderr, /No such file or directory: 'data\/extra\.txt'/);
      p.edit("pipeline.ts", 'sources: ["py/read.py"]', 'sources: ["py/read.py", "data/extra.txt"]');
      const fixed = await p.run({ env: { PATH } });
      assert.deepEqual(fixed.steps, { reader: "miss" });
      assert.equal(p.output(fixed, "reader", "copy"), "extra data\n");
      // Now the file is in the key: editing it re-runs the command.
      p.edit("data/extra.txt", "extra data", "edited data");
      const edited = await p.run({ env: { PATH } });
      assert.deepEqual(edited.steps, { reader: "miss" });
      assert.match(edited.stderr, /sources\.data\/extra\.txt: changed/);
    });
  },
);

sandboxTest(
  "under the sandbox, an undeclared absolute path is named too (a project file, a file elsewhere)",
  async () => {
    const outside = Deno.makeTempFileSync({ prefix: "cairn-undeclared-" });
    try {
      await withProject(FILES("sandbox: true,"), async (p) => {
        const inside = await p.run({ env: { PATH, READ: `${p.dir}/data/extra.txt` }, fails: true });
        assert.match(
          inside.stderr,
          /it could not open "data\/extra\.txt", which exists but is not visible in the sandbox/,
        );
        const elsewhere = await p.run({ env: { PATH, READ: outside }, fails: true });
        assert.match(
          elsewhere.stderr,
          new RegExp(`it could not open "${outside}", which exists but is not visible`),
        );
        // A path that exists nowhere is the program's own mistake: nothing is blamed on the sandbox.
        const typo = await p.run({ env: { PATH, READ: "data/nope.txt" }, fails: true });
        assert.doesNotMatch(typo.stderr, /could not open "/);
        assert.match(typo.stderr, /No such file or directory: 'data\/nope\.txt'/);
      });
    } finally {
      Deno.removeSync(outside);
    }
  },
);

Deno.test("on the host, a relative path to an undeclared project file does not resolve either (the work directory holds only what is declared)", async () => {
  await withProject(FILES("sandbox: false,"), async (p) => {
    const out = await p.run({ env: { PATH }, fails: true });
    assert.match(
      out.stderr,
      /it could not open "data\/extra\.txt", which exists but is not in its work directory \(only declared sources, inputs and outputs are\)/,
    );
  });
});

const NET_PY = `import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2).close()
    result = "connected"
except OSError as e:
    result = f"refused: {e.__class__.__name__}"
open(sys.argv[2], "w").write(result)
`;

const NET = (sandbox: boolean) =>
  `import { Effect } from "effect";
import { command, run, scenario, Text } from "cairn";
const net = command({
  name: "net",
  outputs: { result: Text },
  config: { port: Number(Deno.env.get("PORT")), sandbox: ${sandbox} },
  sources: ["py/net.py"],
  tools: ["python3"],
  sandbox: ${sandbox},
  argv: ({ outputs, config }) => ["python3", "py/net.py", String(config.port), outputs.result],
});
if (import.meta.main) await run(scenario("mutation", {}, net({})));
`;

sandboxTest("the sandbox has no network; the host has", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = (async () => {
    for await (const conn of listener) conn.close();
  })();
  const port = String((listener.addr as Deno.NetAddr).port);
  try {
    for (const sandbox of [false, true]) {
      await withProject({ "pipeline.ts": NET(sandbox), "py/net.py": NET_PY }, async (p) => {
        const out = await p.run({ env: { PATH, PORT: port } });
        const result = p.output(out, "net", "result");
        if (sandbox) assert.match(result, /^refused: /);
        else assert.equal(result, "connected");
      });
    }
  } finally {
    listener.close();
    await accepting.catch(() => {});
  }
});

const WRITER = `import { Effect } from "effect";
import { command, input, run, scenario, Text } from "cairn";
const writer = command({
  name: "writer",
  inputs: { data: Text },
  outputs: { result: Text },
  tools: ["sh"],
  sandbox: true,
  argv: ({ inputs, outputs }) => ["sh", "-c", 'echo more >> "$1" && cp "$1" "$2"', "sh", inputs.data, outputs.result],
});
if (import.meta.main) await run(scenario("mutation", {}, Effect.gen(function* () {
  yield* writer({ data: yield* input.file("data.txt", Text) });
})));
`;

sandboxTest(
  "under the sandbox, inputs are read-only and the output directory is writable",
  async () => {
    await withProject({ "pipeline.ts": WRITER, "data.txt": "data\n" }, async (p) => {
      const out = await p.run({ env: { PATH }, fails: true });
      assert.match(out.stderr, /in\/data\.txt: Read-only file system/);
      p.edit(
        "pipeline.ts",
        `'echo more >> "$1" && cp "$1" "$2"'`,
        `'cp "$1" "$2" && echo more >> "$2"'`,
      );
      const fixed = await p.run({ env: { PATH } });
      assert.equal(p.output(fixed, "writer", "result"), "data\nmore\n");
    });
  },
);

// PATH without bubblewrap: a directory with only sh and python3 in it.
const noBwrap = (dir: string) => {
  Deno.mkdirSync(`${dir}/nobwrap`);
  for (const tool of ["sh", "python3"]) {
    Deno.symlinkSync(`/usr/bin/${tool}`, `${dir}/nobwrap/${tool}`);
  }
  return `${dir}/nobwrap`;
};

// Two commands without a sandbox setting (the pipeline's default, "auto").
const TWO = `import { Effect } from "effect";
import { command, run, scenario, Text } from "cairn";
const read = (name: string) =>
  command({
    name,
    outputs: { copy: Text },
    sources: ["py/read.py", "data/extra.txt"],
    tools: ["python3"],
    argv: ({ outputs }) => ["python3", "py/read.py", "data/extra.txt", outputs.copy],
  });
const [a, b] = [read("a"), read("b")];
if (import.meta.main) await run(scenario("mutation", {}, Effect.gen(function* () {
  yield* a({});
  yield* b({});
})));
`;

Deno.test("without bubblewrap: a command that asked for the sandbox fails saying so; by default it runs on the host, said once", async () => {
  const asking = READER('sources: ["py/read.py", "data/extra.txt"],\n  sandbox: true,');
  await withProject({ ...FILES(""), "pipeline.ts": asking, "two.ts": TWO }, async (p) => {
    const path = noBwrap(p.dir);
    const asked = await p.run({ env: { PATH: path }, fails: true });
    assert.match(
      asked.stderr,
      /Cannot run command "reader" in the sandbox: bubblewrap \(bwrap\) is not installed; install bubblewrap \(Debian: apt-get install bubblewrap\), or set sandbox: false/,
    );
    const auto = await p.run({ env: { PATH: path }, script: "two.ts" });
    assert.deepEqual(auto.steps, { a: "miss", b: "miss" });
    const notes = auto.stderr.split("\n").filter((l) =>
      l.includes("commands run without the sandbox")
    );
    assert.equal(notes.length, 1, auto.stderr);
    assert.match(notes[0]!, /bubblewrap \(bwrap\) is not installed/);
    assert.equal(p.output(auto, "b", "copy"), "extra data\n");
  });
});
