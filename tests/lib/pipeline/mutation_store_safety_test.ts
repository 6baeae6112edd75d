// Mutation tests for what a step or a user can do to the store through the files it
// is handed: writing to an input, and damaged objects inside a Dir output. Each runs a
// real project in a child process (as root on our machines: mode 0444 stops nothing).
import assert from "node:assert/strict";
import { cairn } from "../../cli/_fixture.ts";
import { type TempProject, withProject } from "./_project.ts";
import { openStoreContext } from "../../../store/object_store.ts";
import { fsck } from "../../../store/fsck.ts";
import { layoutOf, objectPath } from "../../../store/layout.ts";
import { hashObject } from "../../../store/object_id.ts";
import { readVerified } from "../../../store/objects.ts";
import { decodeTree } from "../../../store/tree_decoder.ts";

const fsckOf = (store: string) => {
  const ctx = openStoreContext(store, { create: false });
  try {
    return fsck(ctx);
  } finally {
    ctx.session.close();
  }
};

// A step that appends to its File input, as a careless tool would. It chmods first, so
// that it also gets through where mode 0444 would stop it (a non-root user).
const SCRIBBLE = {
  "data/in.txt": "original\n",
  "pipeline.ts": `import { Effect } from "effect";
import { File, input, run, scenario, step, Text } from "cairn";

const scribble = step({
  name: "scribble",
  inputs: { f: File },
  outputs: { seen: Text },
  run: ({ f }) => {
    const seen = Deno.readTextFileSync(f);
    Deno.chmodSync(f, 0o644);
    Deno.writeTextFileSync(f, "scribbled\\n", { append: true });
    return { seen };
  },
});

const program = scenario("mutation", {}, Effect.gen(function* () {
  const f = yield* input.file("data/in.txt");
  return yield* scribble({ f });
}));

if (import.meta.main) {
  await run(program, { link: (Deno.env.get("LINK") ?? "copy") as "copy" | "hardlink" });
}
`,
};

// The object of the blob `text` in the project's store.
const blobOf = (p: TempProject, text: string) => {
  const id = hashObject("blob", new TextEncoder().encode(text));
  return { id, path: objectPath(layoutOf(p.store), id) };
};

Deno.test("a step that writes to its File input writes to its own copy: the store's object stays intact", async () => {
  await withProject(SCRIBBLE, async (p) => {
    const first = await p.run();
    assert.deepEqual(first.steps, { scribble: "miss" });
    assert.equal(p.output(first, "scribble", "seen"), "original\n");
    const object = blobOf(p, "original\n");
    assert.equal(Deno.readTextFileSync(object.path), "original\n", "the object is unchanged");
    assert.deepEqual(fsckOf(p.store).problems, []);
    const second = await p.run();
    assert.deepEqual(second.steps, { scribble: "hit" });
  });
});

Deno.test("link: hardlink — a step that writes to its input fails naming it, and the damaged object is set aside and re-created", async () => {
  await withProject(SCRIBBLE, async (p) => {
    const out = await p.run({ env: { LINK: "hardlink" }, fails: true });
    assert.match(out.stderr, /Step "scribble" changed its input "f"/);
    assert.match(out.stderr, /set aside, and running again re-creates it/);
    assert.deepEqual(out.steps, { scribble: "failed" });
    const object = blobOf(p, "original\n");
    assert.throws(() => Deno.lstatSync(object.path), Deno.errors.NotFound);
    assert.equal([...Deno.readDirSync(`${p.store}/quarantine`)].length, 1);
    assert.deepEqual(fsckOf(p.store).problems, [], "nothing damaged is left in the store");
    // The next run (copies) stores the input afresh and succeeds.
    const again = await p.run();
    assert.deepEqual(again.steps, { scribble: "miss" });
    assert.equal(p.output(again, "scribble", "seen"), "original\n");
    assert.equal(Deno.readTextFileSync(object.path), "original\n");
  });
});

Deno.test("cairn materialize copies by default: writing to the copy cannot reach the store", async () => {
  await withProject(SCRIBBLE, async (p) => {
    const first = await p.run();
    const seen = (p.runRecord(first, "scribble").outputs as Record<string, { id: string }>).seen!;
    const dest = `${p.dir}/out.txt`;
    const made = await cairn(["materialize", seen.id, dest, "--store", p.store]);
    assert.equal(made.code, 0, made.stderr);
    Deno.chmodSync(dest, 0o644);
    Deno.writeTextFileSync(dest, "edited\n", { append: true });
    assert.deepEqual(fsckOf(p.store).problems, []);
    const linked = await cairn([
      "materialize",
      seen.id,
      `${p.dir}/linked.txt`,
      "--link",
      "hardlink",
      "--store",
      p.store,
    ]);
    assert.equal(linked.code, 0, linked.stderr);
    assert.match(linked.stdout, /1 hard-linked/);
  });
});

// `make` writes a directory; `read` reads one file of it (it re-runs when READ changes).
const TREE = {
  "pipeline.ts": `import { Effect } from "effect";
import { Dir, run, scenario, step, Text } from "cairn";

const make = step({
  name: "make",
  outputs: { tree: Dir },
  run: (_inputs, _config, ctx) => {
    Deno.mkdirSync(\`\${ctx.outDir}/tree\`);
    Deno.writeTextFileSync(\`\${ctx.outDir}/tree/a.txt\`, "alpha");
    Deno.writeTextFileSync(\`\${ctx.outDir}/tree/b.txt\`, "beta");
    return {};
  },
});

const read = step({
  name: "read",
  inputs: { tree: Dir },
  outputs: { a: Text },
  env: ["READ"],
  run: ({ tree }) => ({ a: "read " + Deno.readTextFileSync(\`\${tree}/a.txt\`) }),
});

const program = scenario("mutation", {}, Effect.gen(function* () {
  const { tree } = yield* make({});
  return yield* read({ tree });
}));

if (import.meta.main) {
  await run(program, { validate: (Deno.env.get("VALIDATE") ?? "lazy") as "lazy" | "eager" });
}
`,
};

// Damages a.txt's object inside make's tree output: same size, other bytes.
const damageMember = (p: TempProject, tree: string): string => {
  const ctx = openStoreContext(p.store, { create: false });
  try {
    const entry = decodeTree(readVerified(ctx, tree, "tree"), tree).find((e) =>
      e.name === "a.txt"
    )!;
    const path = objectPath(ctx.layout, entry.id);
    try {
      Deno.chmodSync(path, 0o644);
    } catch {
      // set aside by an earlier read: plant it again
    }
    Deno.writeTextFileSync(path, "ALPHA");
    Deno.chmodSync(path, 0o444);
    return path;
  } finally {
    ctx.session.close();
  }
};

const treeOf = (p: TempProject, outcome: Awaited<ReturnType<TempProject["run"]>>) =>
  (p.runRecord(outcome, "make").outputs as Record<string, { id: string }>).tree!.id;

Deno.test("validate: eager re-hashes the members of a Dir output: a damaged one re-runs its producer, which repairs it", async () => {
  await withProject(TREE, async (p) => {
    const first = await p.run();
    const path = damageMember(p, treeOf(p, first));
    const second = await p.run({ env: { VALIDATE: "eager" } });
    assert.deepEqual(second.steps, { make: "miss", read: "hit" });
    assert.equal(Deno.readTextFileSync(path), "alpha", "the member was written afresh");
    assert.deepEqual(fsckOf(p.store).problems, []);
  });
});

Deno.test("a consumer that reads a damaged Dir member fails with advice that works: the next run re-creates it", async () => {
  await withProject(TREE, async (p) => {
    const first = await p.run();
    const path = damageMember(p, treeOf(p, first));
    const failed = await p.run({ env: { READ: "2" }, fails: true });
    assert.deepEqual(failed.steps, { make: "hit", read: "failed" });
    assert.match(failed.stderr, /Cannot read input "tree" of step "read"/);
    assert.match(failed.stderr, /running the pipeline again re-creates it/);
    const again = await p.run({ env: { READ: "2" } });
    assert.deepEqual(again.steps, { make: "miss", read: "miss" });
    assert.equal(p.output(again, "read", "a"), "read alpha");
    assert.equal(Deno.readTextFileSync(path), "alpha");
    assert.deepEqual(fsckOf(p.store).problems, []);
  });
});

Deno.test("cairn fsck --repair sets damaged objects aside, names the runs that lost outputs, and their next run re-computes them", async () => {
  await withProject(TREE, async (p) => {
    const first = await p.run();
    damageMember(p, treeOf(p, first));
    const check = await cairn(["fsck", "--store", p.store]);
    assert.equal(check.code, 1);
    assert.match(check.stdout, /corrupt/);

    const repaired = await cairn(["fsck", "--repair", "--json", "--store", p.store]);
    assert.equal(repaired.code, 0, repaired.stdout + repaired.stderr);
    const result = JSON.parse(repaired.stdout);
    assert.equal(result.store.setAside.length, 1);
    assert.deepEqual(result.runs.map((r: { step: string }) => r.step), ["make"]);
    assert.equal(result.runs[0].missing[0], result.store.setAside[0]);
    assert.deepEqual(result.left, []);

    const text = await cairn(["fsck", "--repair", "--store", p.store]);
    assert.equal(text.code, 0, text.stdout);
    assert.match(text.stdout, /nothing is left to repair/);

    const again = await p.run({ env: { READ: "2" } });
    assert.deepEqual(again.steps, { make: "miss", read: "miss" });
    assert.equal(p.output(again, "read", "a"), "read alpha");
    assert.deepEqual(fsckOf(p.store).problems, []);
  });
});

Deno.test("cairn fsck --repair resets a scenario ref whose newest record is damaged, so gc runs again", async () => {
  await withProject(TREE, async (p) => {
    const first = await p.run();
    const second = await p.run();
    assert.equal(second.record?.parent, first.id);
    // The documented failure mode after a machine crash: the newest object is short.
    const head = objectPath(layoutOf(p.store), second.id!);
    Deno.chmodSync(head, 0o644);
    Deno.truncateSync(head, 40);
    const stopped = await cairn(["gc", "--store", p.store]);
    assert.notEqual(stopped.code, 0, "gc refuses to run over a root it cannot read");
    const repaired = await cairn(["fsck", "--repair", "--json", "--store", p.store]);
    const result = JSON.parse(repaired.stdout);
    assert.deepEqual(result.store.refsReset, [
      { name: "scenarios/mutation", from: second.id, to: first.id },
    ]);
    assert.equal(repaired.code, 0, repaired.stdout);
    const gc = await cairn(["gc", "--store", p.store]);
    assert.equal(gc.code, 0, gc.stderr);
    const third = await p.run();
    assert.deepEqual(third.steps, { make: "hit", read: "hit" });
    assert.equal(third.record?.parent, first.id);
  });
});
