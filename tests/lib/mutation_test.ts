// Mutation tests: a small real pipeline project (tests/lib/_fixtures/mutation/) is copied
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
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { AppendIndex } from "../../store/append_index.ts";
import { openStoreContext } from "../../store/object_store.ts";
import { readVerified } from "../../store/objects.ts";
import { decodeRecord, type StoreRecord } from "../../store/record.ts";
import { readRef } from "../../store/refs.ts";
import { RACY_WINDOW_MS } from "../../store/stat_cache.ts";

const MAIN = fileURLToPath(new URL("../../", import.meta.url));
const FIXTURE = fileURLToPath(new URL("./_fixtures/mutation/", import.meta.url));
const WORDS = "alpha beta gamma\n";

type Verdict = "hit" | "miss";

/** One run of the project: its scenario record and what each step did. */
interface Outcome {
  readonly id: string;
  readonly record: StoreRecord;
  readonly steps: Record<string, Verdict>;
  readonly stderr: string;
}

interface Project {
  readonly dir: string;
  readonly store: string;
  /** Runs `deno run -A pipeline.ts` in the project; `env` overrides the defaults. */
  readonly run: (env?: Record<string, string>) => Promise<Outcome>;
  /** Replaces the one occurrence of `from` in `file` with `to`. */
  readonly edit: (file: string, from: string, to: string) => void;
  /** The text of output `name` of `step`'s run in `outcome`. */
  readonly output: (outcome: Outcome, step: string, name: string) => string;
}

const readRecord = (store: string, id: string): StoreRecord => {
  const ctx = openStoreContext(store, { create: false });
  try {
    return decodeRecord(readVerified(ctx, id, "record"), id);
  } finally {
    ctx.session.close();
  }
};

const readBlobText = (store: string, id: string): string => {
  const ctx = openStoreContext(store, { create: false });
  try {
    return new TextDecoder().decode(readVerified(ctx, id, "blob"));
  } finally {
    ctx.session.close();
  }
};

const newestScenario = (store: string): string | null => {
  if (!existsSync(`${store}/format`)) return null; // no run has created the store yet
  const ctx = openStoreContext(store, { create: false });
  try {
    return readRef(ctx.layout, "scenarios/mutation");
  } finally {
    ctx.session.close();
  }
};

interface InvocationRecord {
  readonly step: string;
  readonly run: string | null;
  readonly hit: boolean;
  readonly status: string;
}

/** Copies the fixture into a fresh temp dir: deno.json, the .ts sources, data/words.txt. */
const makeProject = (): Project => {
  const dir = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "cairn-mutation-" }));
  const store = `${dir}/store`;
  const main = JSON.parse(Deno.readTextFileSync(`${MAIN}deno.json`));
  const imports = { ...main.imports, cairn: pathToFileURL(`${MAIN}mod.ts`).href };
  Deno.writeTextFileSync(`${dir}/deno.json`, JSON.stringify({ imports }, null, 2) + "\n");
  for (const entry of Deno.readDirSync(FIXTURE)) {
    if (!entry.name.endsWith(".ts.txt")) continue;
    Deno.copyFileSync(`${FIXTURE}${entry.name}`, `${dir}/${entry.name.slice(0, -4)}`);
  }
  Deno.mkdirSync(`${dir}/data`);
  Deno.writeTextFileSync(`${dir}/data/words.txt`, WORDS);

  const run = async (env: Record<string, string> = {}): Promise<Outcome> => {
    const before = newestScenario(store);
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "pipeline.ts"],
      cwd: dir,
      env: {
        CAIRN_STORE: store,
        CAIRN_PROGRESS: "0",
        CAIRN_DEBUG: "cache",
        MY_VAR: "a",
        UNDECLARED_VAR: "x",
        ...env,
      },
      stdout: "null",
      stderr: "piped",
    }).output();
    const log = new TextDecoder().decode(stderr);
    assert.equal(code, 0, `pipeline.ts failed:\n${log}`);
    const id = newestScenario(store);
    assert.ok(id !== null && id !== before, `the run wrote no new scenario record:\n${log}`);
    const record = readRecord(store, id);
    assert.equal(record.parent, before, "the new record's parent is the previous one");
    assert.equal(record.status, "ok");
    const invocations = record.invocations as unknown as InvocationRecord[];
    const steps: Record<string, Verdict> = {};
    for (const i of invocations) {
      assert.ok(!(i.step in steps), `step "${i.step}" was invoked twice`);
      steps[i.step] = i.hit ? "hit" : "miss";
    }
    return { id, record, steps, stderr: log };
  };

  const edit = (file: string, from: string, to: string) => {
    const path = `${dir}/${file}`;
    const text = Deno.readTextFileSync(path);
    assert.equal(text.split(from).length, 2, `"${from}" occurs exactly once in ${file}`);
    Deno.writeTextFileSync(path, text.replace(from, to));
  };

  const output = (outcome: Outcome, step: string, name: string) => {
    const invocations = outcome.record.invocations as unknown as InvocationRecord[];
    const runId = invocations.find((i) => i.step === step)?.run;
    assert.ok(runId, `no run of "${step}" in the scenario record`);
    const outputs = readRecord(store, runId).outputs as Record<string, { id: string }>;
    return readBlobText(store, outputs[name]!.id);
  };

  return { dir, store, run, edit, output };
};

const withProject = async (f: (p: Project) => Promise<void>): Promise<void> => {
  const project = makeProject();
  try {
    await f(project);
  } finally {
    Deno.removeSync(project.dir, { recursive: true });
  }
};

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

Deno.test("editing a helper in an imported module re-runs only the steps that reach it", async () => {
  await withProject(async (p) => {
    await firstRun(p);
    // helpers.ts is reached by load (directly) and title (through format.ts). load's
    // output does not change, so count is reused; title's does, so report re-runs.
    p.edit(
      "helpers.ts",
      "word.charAt(0).toUpperCase() + word.slice(1)",
      "word.toUpperCase()",
    );
    const second = await p.run();
    assert.deepEqual(second.steps, {
      load: "miss",
      count: "hit",
      title: "miss",
      stamp: "hit",
      report: "miss",
    });
    assert.equal(p.output(second, "report", "report"), "ALPHA: 3 words (MY_VAR=a)");
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
    assert.deepEqual(second.record.tags, ["fixture", "edited"], "the edited banner.ts was run");
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
