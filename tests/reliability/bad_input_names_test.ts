// Bad input, family "names": ref names outside the rules, trees whose entries would
// escape the destination, inputs and ids that name nothing, and stores of another
// format. Each must fail with a typed error that names the offending name or path,
// and write nothing outside the store (nothing at all for the refused ones).
import assert from "node:assert/strict";
import * as Effect from "effect/Effect";
import { input, Pipeline, scenario } from "../../mod.ts";
import { hashObject } from "../../store/object_id.ts";
import { ObjectStore } from "../../store/object_store.ts";
import { encodeTree, type TreeEntry } from "../../store/tree.ts";
import { loadLineageView } from "../../lib/query/lineage_view.ts";
import { lineage } from "../../lib/query/lineage.ts";
import { showTarget } from "../../lib/query/show.ts";
import { resolveArtifact } from "../../lib/query/resolve_target.ts";
import { fromFileUrl } from "../../lib/identity/paths.ts";
import {
  assertSameTree,
  assertSentence,
  badRefName,
  badTreeEntry,
  expectTyped,
  failureOf,
  makeSandbox,
  removeSandbox,
  rngFor,
  snapshot,
  Tally,
  tmpLeftovers,
  where,
} from "./_bad_inputs.ts";

Deno.env.set("CAIRN_PROGRESS", "0");

const REF_NAMES = 120;
const TREES = 80;
const INPUTS = 30;
const TARGETS = 60;
const FORMATS = 24;
const tally = new Tally("bad_input_names_test");
const te = new TextEncoder();

const hexBytes = (id: string): Uint8Array =>
  Uint8Array.from(id.match(/../g)!.map((h) => parseInt(h, 16)));

Deno.test("a ref name outside the rules is refused by every ref operation and by scenario(), naming it; nothing is written", async () => {
  const r = rngFor("ref-names");
  const box = makeSandbox("ref-names");
  try {
    const quiet = [`${box.store}/tmp/sessions`, `${box.store}/gc.lock`];
    const program = Effect.gen(function* () {
      const { store } = yield* Pipeline;
      const id = (yield* store.putBlob(te.encode("target"))).id;
      for (let i = 0; i < REF_NAMES; i++) {
        const { kind, name } = badRefName(r);
        const context = where("ref name", i, `${kind}: ${JSON.stringify(name)}`);
        const before = snapshot(box.root, quiet);
        const ops: [string, Effect.Effect<unknown, unknown>][] = [
          ["readRef", store.readRef(name)],
          ["updateRef", store.updateRef(name, id, { message: "bad" })],
          ["updateRef (delete)", store.updateRef(name, null, { message: "bad", expected: id })],
          ["reflog", store.reflog(name)],
        ];
        for (const [op, effect] of ops) {
          const error = yield* failureOf(effect, `${context} ${op}`);
          const message = expectTyped(error, "StoreError", ["InvalidRefName"], `${context} ${op}`);
          assertSentence(message, context);
          assert.ok(message.includes(JSON.stringify(name)), `${context}: name not in ${message}`);
          assert.match(message, /; use segments of A-Z a-z 0-9 \. _ - separated by "\/"$/, context);
          tally.add(`ref name (${op})`);
        }
        const error = yield* failureOf(scenario(name, {}, Effect.void), `${context} scenario`);
        const message = expectTyped(error, "PipelineError", ["InvalidStep"], `${context} scenario`);
        assert.ok(
          message.includes(`scenario ${name}`) && /bad scenario name/.test(message),
          message,
        );
        tally.add("ref name (scenario)");
        assertSameTree(before, snapshot(box.root, quiet), context);
      }
    });
    await Effect.runPromise(program.pipe(Effect.provide(Pipeline.layerDisk({ root: box.store }))));
  } finally {
    removeSandbox(box);
  }
});

Deno.test("materialize refuses a tree whose entries would escape the destination, at any depth, and writes nothing", async () => {
  const r = rngFor("escaping-trees");
  const box = makeSandbox("trees");
  try {
    const program = Effect.gen(function* () {
      const store = yield* ObjectStore;
      const blob = (yield* store.putBlob(te.encode("payload"))).id;
      for (let i = 0; i < TREES; i++) {
        const bad = badTreeEntry(r, hexBytes(blob));
        // A valid sibling sorting first ("!" is below every generated name but ""),
        // so the bad entry is not always the first thing decoded.
        const sibling = r.chance(0.5)
          ? Uint8Array.from([...te.encode("100644 !\0"), ...hexBytes(blob)])
          : new Uint8Array();
        const badTree = (yield* store.put("tree", Uint8Array.from([...sibling, ...bad.bytes]))).id;
        let top = badTree;
        const levels = r.int(4);
        for (let depth = levels; depth > 0; depth--) {
          const entries: TreeEntry[] = [{ name: `d${depth}`, mode: "directory", id: top }];
          if (r.chance(0.7)) entries.push({ name: `a${depth}.txt`, mode: "file", id: blob });
          if (r.chance(0.5)) entries.push({ name: `z${depth}.sh`, mode: "executable", id: blob });
          top = (yield* store.put("tree", encodeTree(entries))).id;
        }
        const context = where("escaping tree", i, `${bad.kind} (${JSON.stringify(bad.name)})`);
        const before = snapshot(box.root, [box.store]);
        const dest = `${box.destParent}/out-${i}`;
        const kindGiven = r.chance(0.5);
        // Without a kind, materialize must first recognise the object: a top-level tree
        // that does not start like one is found to hash as nothing, i.e. damaged.
        const materializeReasons = levels === 0 && !kindGiven
          ? [...bad.reasons, "IntegrityMismatch"]
          : bad.reasons;
        for (
          const [op, effect] of [
            ["readTree", Effect.asVoid(store.readTree(badTree))],
            [
              "materialize",
              Effect.asVoid(store.materialize(top, dest, kindGiven ? { kind: "tree" } : {})),
            ],
          ] as const
        ) {
          const error = yield* failureOf(effect, `${context} ${op}`);
          const reasons = op === "materialize" ? materializeReasons : bad.reasons;
          const message = expectTyped(error, "StoreError", reasons, `${context} ${op}`);
          assertSentence(message, context);
          const reason = (error as { reason: { _tag: string } }).reason._tag;
          if (reason === "UnsafePath") {
            assert.ok(message.includes(JSON.stringify(bad.name)), `${context}: ${message}`);
            assert.ok(message.includes(badTree), `${context}: tree id not in ${message}`);
          } else {
            assert.ok(message.includes(top === badTree ? badTree : ""), `${context}: ${message}`);
            assert.ok(message.includes(badTree), `${context}: tree id not in ${message}`);
          }
          tally.add(`escaping tree: ${op}`);
        }
        assertSameTree(before, snapshot(box.root, [box.store]), context);
        assert.deepEqual(tmpLeftovers(box.store), [], context);
      }
    });
    await Effect.runPromise(program.pipe(Effect.provide(ObjectStore.layer({ root: box.store }))));
  } finally {
    removeSandbox(box);
  }
});

Deno.test("input.file and input.dir on a path that is not there fail with InputMissing naming it", async () => {
  const r = rngFor("missing-inputs");
  const box = makeSandbox("inputs");
  const cwd = Deno.cwd();
  try {
    Deno.chdir(box.root);
    Deno.writeTextFileSync(`${box.root}/a-file.txt`, "x");
    Deno.symlinkSync(`${box.root}/gone`, `${box.root}/dangling`);
    const quiet = [`${box.store}/tmp/sessions`, `${box.store}/gc.lock`, `${box.store}/index`];
    const program = Effect.gen(function* () {
      for (let i = 0; i < INPUTS; i++) {
        const kind = r.pick([
          "relative",
          "absolute",
          "spaces and unicode",
          "dangling link",
          "dir as file",
        ]);
        const path = kind === "relative"
          ? `${r.word()}/${r.word()}.csv`
          : kind === "absolute"
          ? `${box.root}/${r.word()}/${r.word()}.parquet`
          : kind === "spaces and unicode"
          ? `données ${r.word()}/zone ${r.int(99)}.csv`
          : kind === "dangling link"
          ? "dangling"
          : "a-file.txt";
        const asDir = kind === "dir as file" || r.chance(0.5);
        const context = where(
          "missing input",
          i,
          `${kind}: input.${asDir ? "dir" : "file"}(${JSON.stringify(path)})`,
        );
        const before = snapshot(box.root, [box.store]);
        const error = yield* failureOf(asDir ? input.dir(path) : input.file(path), context);
        const message = expectTyped(error, "PipelineError", ["InputMissing"], context);
        // The path as given, or resolved from the working directory.
        assert.ok(
          message.startsWith(`Cannot read input "${path}`) ||
            message.startsWith(`Cannot read input "${box.root}/${path}`),
          `${context}: ${message}`,
        );
        assert.match(message, /; check the path/, context);
        assertSameTree(before, snapshot(box.root, [box.store]), context);
        tally.add(`missing input: ${kind}`);
      }
    });
    await Effect.runPromise(program.pipe(Effect.provide(Pipeline.layerDisk({ root: box.store }))));
    void quiet;
  } finally {
    Deno.chdir(cwd);
    removeSandbox(box);
  }
});

Deno.test("queries and reads of ids, prefixes and names that match nothing fail with a typed error naming them", async () => {
  const r = rngFor("unknown-targets");
  const box = makeSandbox("targets");
  try {
    const program = Effect.gen(function* () {
      const store = yield* ObjectStore;
      // Enough objects that some 4-character prefixes are shared (made ambiguous).
      const ids: string[] = [];
      for (let i = 0; i < 1200; i++) ids.push((yield* store.putBlob(te.encode(`object ${i}`))).id);
      const byPrefix = new Map<string, number>();
      for (const id of ids) byPrefix.set(id.slice(0, 4), (byPrefix.get(id.slice(0, 4)) ?? 0) + 1);
      const ambiguous = [...byPrefix].filter(([, n]) => n > 1).map(([p]) => p);
      assert.ok(ambiguous.length > 0, "1200 objects share some 4-character prefix");
      const view = yield* loadLineageView;
      const matchesNone = (hex: string) => !ids.some((id) => id.startsWith(hex));
      for (let i = 0; i < TARGETS; i++) {
        const kind = r.pick([
          "hex prefix",
          "full id",
          "ambiguous prefix",
          "name",
          "scenario:output",
          "missing path",
          "uppercase hex",
        ]);
        let target: string;
        do {
          target = kind === "hex prefix"
            ? r.hexId().slice(0, r.range(4, 63))
            : kind === "full id"
            ? r.hexId()
            : kind === "ambiguous prefix"
            ? r.pick(ambiguous)
            : kind === "name"
            ? r.word(1, 12)
            : kind === "scenario:output"
            ? `${r.word()}:${r.word()}`
            : kind === "missing path"
            ? `${box.root}/${r.word()}/out.parquet`
            : r.hexId().slice(0, 12).toUpperCase().replace(/^[0-9]/, "A");
        } while (/^[0-9a-f]+$/.test(target) && kind !== "ambiguous prefix" && !matchesNone(target));
        const context = where("unknown target", i, `${kind}: ${target}`);
        for (
          const [op, effect] of [
            ["lineage", Effect.asVoid(lineage(target, view))],
            ["show", Effect.asVoid(showTarget(view, target))],
            [
              "impact",
              Effect.asVoid(
                resolveArtifact(target, view, "show the impact of", "give an artifact"),
              ),
            ],
          ] as const
        ) {
          const error = yield* failureOf(effect, `${context} ${op}`);
          assert.equal(
            (error as { _tag: string })._tag,
            "QueryError",
            `${context} ${op}: ${error}`,
          );
          const message = (error as Error).message;
          assertSentence(message, context);
          if (kind === "ambiguous prefix") {
            assert.ok(message.startsWith(`Cannot resolve "${target}": `), message);
            assert.match(message, /give more characters$/, context);
          } else {
            assert.ok(message.startsWith(`Cannot find "${target}": `), `${context}: ${message}`);
            assert.match(
              message,
              /list them with "cairn scenarios" and "cairn artifacts"$/,
              context,
            );
          }
          tally.add(`unknown target: ${op}`);
        }
        if (kind === "full id") {
          const error = yield* failureOf(store.readBlob(target), context);
          const message = expectTyped(error, "StoreError", ["ObjectNotFound"], context);
          assert.ok(message.includes(target), message);
          tally.add("unknown target: readBlob");
        } else if (kind !== "hex prefix" && kind !== "ambiguous prefix") {
          const error = yield* failureOf(store.resolve(target), context);
          expectTyped(error, "StoreError", ["InvalidInput"], context);
          tally.add("unknown target: resolve");
        }
      }
    });
    await Effect.runPromise(program.pipe(Effect.provide(ObjectStore.layer({ root: box.store }))));
  } finally {
    removeSandbox(box);
  }
});

/** Ways a directory can fail to be a store this version reads. */
const foreignStores: [string, (root: string) => string][] = [
  ["format 2", (root) => format(root, "cairn-store 2\n")],
  ["format 0", (root) => format(root, "cairn-store 0\n")],
  ["format 10", (root) => format(root, "cairn-store 10\n")],
  ["format 1.0", (root) => format(root, "cairn-store 1.0\n")],
  ["no version", (root) => format(root, "cairn-store\n")],
  ["another tool", (root) => format(root, "ref: refs/heads/main\n")],
  ["empty format", (root) => format(root, "")],
  ["two lines", (root) => format(root, "cairn-store 1\ncairn-store 2\n")],
  ["binary format", (root) => format(root, "\u0000\u00ff\u0001")],
  ["format is a directory", (root) => {
    Deno.mkdirSync(`${root}/format`, { recursive: true });
    return "format";
  }],
  ["root is a file", (root) => {
    Deno.writeTextFileSync(root, "not a store\n");
    return "a file";
  }],
  ["foreign directory", (root) => {
    Deno.mkdirSync(root, { recursive: true });
    Deno.writeTextFileSync(`${root}/notes.txt`, "mine\n");
    return "not empty";
  }],
];

const format = (root: string, line: string): string => {
  Deno.mkdirSync(`${root}/objects`, { recursive: true });
  Deno.writeTextFileSync(`${root}/format`, line);
  return "format";
};

Deno.test("a store of another format version, or no store, is refused at open with UnsupportedStore and left untouched", async () => {
  const r = rngFor("formats");
  const box = makeSandbox("formats");
  try {
    for (let i = 0; i < FORMATS; i++) {
      const [kind, make] = foreignStores[i % foreignStores.length]!;
      const root = `${box.root}/store-${i}`;
      make(root);
      const create = r.chance(0.5);
      const context = where("foreign store", i, `${kind}, create: ${create}`);
      const before = snapshot(box.root);
      const error = await Effect.runPromise(
        failureOf(Effect.provide(Effect.void, ObjectStore.layer({ root, create })), context),
      );
      const message = expectTyped(error, "StoreError", ["UnsupportedStore"], context);
      assertSentence(message, context);
      assert.ok(message.startsWith(`Cannot open store "${root}": `), `${context}: ${message}`);
      if (/^format \d/.test(kind) || kind === "no version" || kind === "another tool") {
        assert.match(message, /; use the cairn version that wrote it$/, context);
      }
      assertSameTree(before, snapshot(box.root), `${context}: opening wrote`);
      tally.add(`foreign store: ${kind}`);
    }
  } finally {
    removeSandbox(box);
  }
});

const CLI = fromFileUrl(new URL("../../cli/main.ts", import.meta.url).href);

Deno.test("the command line answers an unknown target, a foreign store and a missing store with exit 2 and one error line", async () => {
  const box = makeSandbox("cli");
  try {
    await Effect.runPromise(
      Effect.provide(
        ObjectStore.use((s) => s.putBlob(te.encode("x"))),
        ObjectStore.layer({ root: box.store }),
      ),
    );
    format(`${box.root}/v2`, "cairn-store 2\n");
    const cases: [string, string[], RegExp][] = [
      [
        "unknown target",
        ["show", "no_such_thing", "--store", box.store],
        /^error: Cannot find "no_such_thing": /,
      ],
      [
        "unknown id",
        ["lineage", hashObject("blob", te.encode("never")), "--store", box.store],
        /^error: Cannot find "/,
      ],
      [
        "foreign store",
        ["show", "x", "--store", `${box.root}/v2`],
        /^error: Cannot open store ".*": its format is "cairn-store 2"/,
      ],
      [
        "missing store",
        ["runs", "--store", `${box.root}/none`],
        /^error: Cannot open store ".*": no store there/,
      ],
    ];
    for (const [kind, args, expected] of cases) {
      // The query index is a derived cache every query brings up to date (and may
      // create): like gc.lock and the sessions, not something a bad input wrote.
      const quiet = [
        `${box.store}/gc.lock`,
        `${box.store}/tmp/sessions`,
        `${box.store}/index/query.sqlite`,
        `${box.store}/index/query.sqlite-wal`,
        `${box.store}/index/query.sqlite-shm`,
      ];
      const before = snapshot(box.root, quiet);
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", CLI, ...args],
        env: { NO_COLOR: "1", CAIRN_PROGRESS: "0" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 2, `cli ${kind}: exit ${out.code}, stderr ${stderr}`);
      assert.match(stderr, expected, `cli ${kind}`);
      assert.equal(stderr.trimEnd().split("\n").length, 1, `cli ${kind}: one line: ${stderr}`);
      assertSameTree(before, snapshot(box.root, quiet), `cli ${kind}`);
      tally.add(`cli: ${kind}`);
    }
  } finally {
    removeSandbox(box);
  }
});

Deno.test("bad_input_names_test: seed and case counts", () => {
  tally.print();
});
