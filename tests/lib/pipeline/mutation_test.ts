// Mutation tests: a small real pipeline project (tests/lib/pipeline/_fixtures/mutation/) is copied
// into a temp dir and run by a child Deno process, as a user would run it; then one
// thing is edited and the project is run again. The newest scenario record in the store
// says exactly which steps re-ran (misses) and which were reused (hits).
//
// The fixture's graph (see pipeline.ts.txt):
//
//   text ─ load ─ words ─┬─ count ─ n ─────┐
//                        └─ title ─ title ─┼─ report
//                 stamp ─ label ───────────┘
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { AppendIndex } from "../../../store/append_index.ts";
import { openStoreContext } from "../../../store/object_store.ts";
import { RACY_WINDOW_MS } from "../../../store/stat_cache.ts";
import { type Outcome, type TempProject, withProject as withFiles } from "./_project.ts";

const FIXTURE = fileURLToPath(new URL("./_fixtures/mutation/", import.meta.url));
const WORDS = "alpha beta gamma\n";

/** The fixture's files: the .ts sources and data/words.txt. */
const fixtureFiles = (): Record<string, string> => {
  const files: Record<string, string> = { "data/words.txt": WORDS };
  for (const entry of Deno.readDirSync(FIXTURE)) {
    if (!entry.name.endsWith(".ts.txt")) continue;
    files[entry.name.slice(0, -4)] = Deno.readTextFileSync(`${FIXTURE}${entry.name}`);
  }
  return files;
};

interface Project extends Omit<TempProject, "run"> {
  /** Runs `deno run -A pipeline.ts` in the project; `env` overrides the defaults. */
  readonly run: (env?: Record<string, string>) => Promise<Outcome>;
}

const withProject = (f: (p: Project) => Promise<void>): Promise<void> =>
  withFiles(fixtureFiles(), async (p) => {
    const run = async (env: Record<string, string> = {}) => {
      const outcome = await p.run({ env: { MY_VAR: "a", UNDECLARED_VAR: "x", ...env } });
      assert.equal(outcome.record?.status, "ok");
      return outcome;
    };
    await f({ ...p, run });
  });

const ALL_MISS = { load: "miss", count: "miss", title: "miss", stamp: "miss", report: "miss" };
const ALL_HIT = { load: "hit", count: "hit", title: "hit", stamp: "hit", report: "hit" };

/** The first run of a fresh project runs everything and reports the expected line. */
const firstRun = async (p: Project): Promise<Outcome> => {
  const first = await p.run();
  assert.deepEqual(first.steps, ALL_MISS);
  assert.equal(p.output(first, "report", "report"), "Alpha: 3 words (MY_VAR=a)");
  return first;
};

Deno.test("the fixture project type-checks against cairn's public API", async () => {
  await withProject(async (p) => {
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["check", "pipeline.ts", "unrelated.ts"],
      cwd: p.dir,
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
  });
});

Deno.test("editing one step's run body re-runs that step and what consumes its new output", async () => {
  await withProject(async (p) => {
    await firstRun(p);
    // The edit adds lines, so the steps declared below it move: position is not identity.
    p.edit(
      "steps.ts",
      "run: ({ words }, config) => ({ n: words.length * config.scale }),",
      "run: ({ words }, config) => {\n    const n = words.length * config.scale + 10;\n    return { n };\n  },",
    );
    const second = await p.run();
    assert.deepEqual(second.steps, {
      load: "hit",
      count: "miss",
      title: "hit",
      stamp: "hit",
      report: "miss",
    });
    assert.equal(p.output(second, "report", "report"), "Alpha: 13 words (MY_VAR=a)");
  });
});

Deno.test("editing a helper in an imported module re-runs only the steps that reach that helper", async () => {
  await withProject(async (p) => {
    await firstRun(p);
    // helpers.ts holds tokenize (used by load) and capitalize (used by title, through
    // format.ts's headline). Editing capitalize re-runs title, and report, which reads
    // title's new output; load imports from the same module but not that helper.
    p.edit(
      "helpers.ts",
      "word.charAt(0).toUpperCase() + word.slice(1)",
      "word.toUpperCase()",
    );
    const second = await p.run();
    assert.deepEqual(second.steps, {
      load: "hit",
      count: "hit",
      title: "miss",
      stamp: "hit",
      report: "miss",
    });
    assert.equal(p.output(second, "report", "report"), "ALPHA: 3 words (MY_VAR=a)");
    assert.match(second.stderr, /miss title .*code\.helpers\.ts#capitalize: changed/);
  });
});

Deno.test("a comment or a reformatting in an imported module re-runs nothing", async () => {
  await withProject(async (p) => {
    await firstRun(p);
    p.edit(
      "helpers.ts",
      "/** Splits text into lower-case words. */",
      "// Splits text.\n// Lower-cases.",
    );
    p.edit(
      "helpers.ts",
      "word.charAt(0).toUpperCase() + word.slice(1)",
      "(word.charAt(0).toUpperCase()) +\n  word.slice(1) // the rest",
    );
    p.edit("format.ts", 'capitalize(words[0] ?? "")', "capitalize(words[0] ?? '')");
    assert.deepEqual((await p.run()).steps, ALL_HIT);
  });
});

Deno.test("a namespace import used as a value falls back to the whole module, and CAIRN_DEBUG=cache says so", async () => {
  await withProject(async (p) => {
    p.edit(
      "format.ts",
      'import { capitalize } from "./helpers.ts";',
      'import { capitalize } from "./helpers.ts";\nimport * as all from "./helpers.ts";',
    );
    p.edit(
      "format.ts",
      'capitalize(words[0] ?? "")',
      'capitalize(words[0] ?? "") + (Object.keys(all).length > 0 ? "" : "?")',
    );
    await firstRun(p);
    p.edit("helpers.ts", "filter((word) => word.length > 0)", "filter((word) => word.length >= 1)");
    const second = await p.run();
    // title reaches all of helpers.ts; load uses tokenize, which changed; count sees
    // load's unchanged output.
    assert.deepEqual(second.steps, {
      load: "miss",
      count: "hit",
      title: "miss",
      stamp: "hit",
      report: "hit",
    });
    assert.match(
      second.stderr,
      /code title: helpers\.ts counts whole \(namespace import "all" is used as a value in format\.ts\)/,
    );
  });
});

Deno.test("editing modules that no step's code reaches re-runs nothing", async () => {
  await withProject(async (p) => {
    await firstRun(p);
    p.edit("unrelated.ts", "x * 2", "x * 3");
    // banner.ts is imported by pipeline.ts, which declares a step, but only for its tags.
    p.edit("banner.ts", `["fixture"]`, `["fixture", "edited"]`);
    const second = await p.run();
    assert.deepEqual(second.steps, ALL_HIT);
    assert.deepEqual(second.record?.tags, ["fixture", "edited"], "the edited banner.ts was run");
  });
});

Deno.test("a changed config value re-runs its step; 1.0 for 1 re-runs nothing", async () => {
  await withProject(async (p) => {
    await firstRun(p);
    p.edit("steps.ts", "config: { scale: 1 },", "config: { scale: 1.0 },");
    assert.deepEqual((await p.run()).steps, ALL_HIT);

    p.edit("steps.ts", "config: { scale: 1.0 },", "config: { scale: 3 },");
    const third = await p.run();
    assert.deepEqual(third.steps, {
      load: "hit",
      count: "miss",
      title: "hit",
      stamp: "hit",
      report: "miss",
    });
    assert.match(third.stderr, /miss count .*config\.scale: 1 → 3/);
    assert.equal(p.output(third, "report", "report"), "Alpha: 9 words (MY_VAR=a)");
  });
});

Deno.test("an input file edited in place with its size and mtime restored re-runs its reader", async () => {
  await withProject(async (p) => {
    const path = `${p.dir}/data/words.txt`;
    // Wait out the stat cache's racy window, so the first run records an entry it will
    // trust later: only the changed ctime can then reveal the edit.
    const made = Deno.statSync(path);
    const newest = Math.max(made.mtime!.getTime(), made.ctime!.getTime());
    await new Promise((r) =>
      setTimeout(r, Math.max(0, newest + RACY_WINDOW_MS + 100 - Date.now()))
    );
    await firstRun(p);

    const ctx = openStoreContext(p.store, { create: false });
    const stat = new AppendIndex(ctx.layout, "stat");
    try {
      const entry = stat.get(encodeURIComponent(path));
      assert.ok(entry, "the first run recorded a stat-cache entry for the input");
      const [, mtime, , ctime, recorded] = entry.split(" ").map(Number);
      assert.ok(recorded! - Math.max(mtime!, ctime!) > RACY_WINDOW_MS, `entry is racy: ${entry}`);
    } finally {
      stat.close();
      ctx.session.close();
    }

    const before = Deno.statSync(path);
    Deno.writeTextFileSync(path, "alpha beta delta\n"); // in place: same inode, same size
    Deno.utimeSync(path, before.atime!, before.mtime!);
    const after = Deno.statSync(path);
    assert.equal(after.size, before.size);
    assert.equal(after.mtime!.getTime(), before.mtime!.getTime());
    assert.equal(after.ino, before.ino);

    const second = await p.run();
    // New words re-run both their readers; neither's output changes, so report is reused.
    assert.deepEqual(second.steps, {
      load: "miss",
      count: "miss",
      title: "miss",
      stamp: "hit",
      report: "hit",
    });
    assert.match(second.stderr, /miss load .*inputs\.text:/);
    assert.deepEqual(JSON.parse(p.output(second, "load", "words")), ["alpha", "beta", "delta"]);
  });
});

Deno.test("a declared env var re-runs its step when it changes; an undeclared one does not", async () => {
  await withProject(async (p) => {
    await firstRun(p);
    const second = await p.run({ MY_VAR: "b" });
    assert.deepEqual(second.steps, {
      load: "hit",
      count: "hit",
      title: "hit",
      stamp: "miss",
      report: "miss",
    });
    assert.match(second.stderr, /miss stamp .*env\.MY_VAR: "a" → "b"/);
    assert.equal(p.output(second, "report", "report"), "Alpha: 3 words (MY_VAR=b)");

    const third = await p.run({ MY_VAR: "b", UNDECLARED_VAR: "y" });
    assert.deepEqual(third.steps, ALL_HIT);
  });
});

Deno.test("an upstream step that re-runs to identical bytes leaves its consumers cached", async () => {
  await withProject(async (p) => {
    const first = await firstRun(p);
    // tokenize drops empty words already, so trimming first changes the code, not the output.
    p.edit("steps.ts", "({ words: tokenize(text) })", "({ words: tokenize(text.trim()) })");
    const second = await p.run();
    assert.deepEqual(second.steps, {
      load: "miss",
      count: "hit",
      title: "hit",
      stamp: "hit",
      report: "hit",
    });
    assert.equal(p.output(second, "load", "words"), p.output(first, "load", "words"));
  });
});

Deno.test("editing types and comments outside every step's run re-runs nothing", async () => {
  await withProject(async (p) => {
    await firstRun(p);
    // report's run names ReportLine only in a type annotation.
    p.edit(
      "steps.ts",
      "  readonly count: number;\n",
      "  readonly count: number;\n  readonly note?: string;\n",
    );
    p.edit(
      "steps.ts",
      "/** Counts the words, scaled (reaches no other module). */",
      "/**\n * Counts the words, multiplied by the configured scale.\n * Reaches no other module.\n */",
    );
    assert.deepEqual((await p.run()).steps, ALL_HIT);
  });
});
