// A command's inputs are real files in its work directory, named with their codec's
// extension (a Dir a directory), always copies — never hard links into the store,
// whatever `link` says — and its outputs of every codec come back; an absent optional
// input is absent from the command line; an iteration-invariant command may not read
// the iteration.
import assert from "node:assert/strict";
import { PATH } from "./_model.ts";
import { withProject } from "../_project.ts";

const PIPELINE = `import { Effect } from "effect";
import { command, Dir, File, input, Json, optional, run, scenario, step, Table, Text, withExtension } from "cairn";

const make = step({
  name: "make",
  outputs: { rows: Table, csv: Table.csv, obj: Json, note: Text, tree: Dir },
  run: (_inputs, _config, ctx) => {
    Deno.mkdirSync(\`\${ctx.outDir}/tree/sub\`, { recursive: true });
    Deno.writeTextFileSync(\`\${ctx.outDir}/tree/sub/a.txt\`, "a");
    return { rows: [{ x: 1 }], csv: [{ x: 2 }], obj: { y: 3 }, note: "hello" };
  },
});

const list = command({
  name: "list",
  inputs: {
    rows: Table, csv: Table.csv, obj: Json, note: Text, tree: Dir,
    network: File, page: withExtension(File, ".html"), missing: optional(Json),
  },
  outputs: { listing: Text, copy: Json, dir: Dir, report: withExtension(File, ".html") },
  tools: ["sh"],
  argv: ({ inputs, outputs }) => [
    "sh", "-c",
    'ls -R in | sort > "$1"; echo "argc=$#" >> "$1"; echo "$(cat "$2" >> /dev/null; echo "$2")" >> "$1"; ' +
      'echo "written: $(echo more >> in/note.txt && echo yes || echo no)" >> "$1"; ' +
      'cat in/obj.json > "$3"; mkdir -p "$4/x"; echo b > "$4/x/b.txt"; echo "<p>" > "$5"',
    "sh", outputs.listing, inputs.obj, outputs.copy, outputs.dir, outputs.report,
    ...(inputs.missing ? ["--missing", inputs.missing] : []),
  ],
});

const program = scenario("mutation", {}, Effect.gen(function* () {
  const made = yield* make({});
  const network = yield* input.file("data/network.json");
  const page = yield* input.file("data/page.txt");
  yield* list({ ...made, network, page });
}));

if (import.meta.main) await run(program);
`;

Deno.test("inputs are real files named with their codec's extension, copies even with link: hardlink; outputs of every codec come back", async () => {
  const files = { "pipeline.ts": PIPELINE, "data/network.json": "{}", "data/page.txt": "page" };
  await withProject(files, async (p) => {
    const out = await p.run({ env: { PATH, CAIRN_LINK: "hardlink", CAIRN_SANDBOX: "0" } });
    assert.deepEqual(out.steps, { make: "miss", list: "miss" });
    const listing = p.output(out, "list", "listing").split("\n");
    for (
      const name of [
        "rows.parquet",
        "csv.csv",
        "obj.json",
        "note.txt",
        "tree",
        "network.json",
        "page.html",
      ]
    ) assert.ok(listing.includes(name), `in/${name} is staged: ${listing}`);
    assert.ok(
      listing.includes("a.txt") && listing.includes("in/tree/sub:"),
      "a Dir is a directory",
    );
    assert.ok(!listing.some((l) => l.startsWith("missing")), "an absent optional input is absent");
    assert.ok(listing.includes("argc=5"), "and so is its flag");
    assert.ok(listing.includes("in/obj.json"));
    assert.ok(listing.includes("written: yes"), "the program could write to its copy");
    // The write reached the copy only: the store's objects are intact.
    const fsck = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--no-config",
        `${new URL("../../../../cli/launch.ts", import.meta.url).pathname}`,
        "fsck",
        "--store",
        p.store,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(fsck.code, 0, new TextDecoder().decode(fsck.stdout));
    assert.equal(p.output(out, "list", "copy"), '{"y":3}');
    const record = p.runRecord(out, "list");
    const outputs = record.outputs as Record<string, { kind: string; codec: string }>;
    assert.deepEqual(
      Object.fromEntries(Object.entries(outputs).map(([k, o]) => [k, `${o.kind} ${o.codec}`])),
      { copy: "blob json", dir: "tree dir", listing: "blob text", report: "blob file" },
    );
    assert.deepEqual((record.components as { files: unknown }).files, {
      rows: "in/rows.parquet",
      csv: "in/csv.csv",
      obj: "in/obj.json",
      note: "in/note.txt",
      tree: "in/tree",
      network: "in/network.json",
      page: "in/page.html",
      listing: "out/listing.txt",
      copy: "out/copy.json",
      dir: "out/dir",
      report: "out/report.html",
    });
  });
});

const INVARIANT = (argv: string) =>
  `import { Effect } from "effect";
import { command, iterate, run, scenario, Text } from "cairn";
const setup = command({
  name: "setup",
  outputs: { out: Text },
  tools: ["sh"],
  iterationInvariant: true,
  argv: ${argv},
});
const program = scenario("mutation", {}, iterate({ times: 3 }, 0, (n) => Effect.gen(function* () {
  yield* setup({});
  return n + 1;
})));
if (import.meta.main) await run(program);
`;

Deno.test("an iteration-invariant command runs once for every iteration; one whose argv reads the iteration fails", async () => {
  const once = INVARIANT(`({ outputs }) => ["sh", "-c", 'echo setup > "$1"', "sh", outputs.out]`);
  await withProject({ "pipeline.ts": once }, async (p) => {
    const out = await p.run({ env: { PATH } });
    assert.deepEqual(out.steps, { setup: "miss", "setup#2": "hit", "setup#3": "hit" });
  });
  const reads = INVARIANT(
    `({ outputs, iteration }) => ["sh", "-c", 'echo "$2" > "$1"', "sh", outputs.out, String(iteration)]`,
  );
  await withProject({ "pipeline.ts": reads }, async (p) => {
    const out = await p.run({ env: { PATH }, fails: true });
    assert.match(
      out.stderr,
      /step "setup": it is declared iterationInvariant: true, but its argv read iteration/,
    );
  });
});
