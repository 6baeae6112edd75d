// step(): how one step invocation checks its inputs, keys, runs, ingests and reuses,
// run in-process over a real store in a temp dir.
import assert from "node:assert/strict";
import { Effect } from "effect";
import {
  type Artifact,
  Dir,
  File,
  iterate,
  Json,
  optional,
  Pipeline,
  type PipelineApi,
  PipelineError,
  type PipelineOptions,
  scenario,
  step,
  Table,
  Text,
} from "../../../mod.ts";
import { openStoreContext } from "../../../store/object_store.ts";
import { identify, readVerified } from "../../../store/objects.ts";
import { decodeRecord } from "../../../store/record.ts";
import { listObjects } from "../../../store/_walk.ts";

Deno.env.set("CAIRN_PROGRESS", "0");

// How often some steps' runs ran. Module-level: a run may not read a binding of the
// test function around it (such a step is refused: its value is not in the key).
const calls = { needsX: 0, badConfig: 0 };
const seenExtras: unknown[] = [];

const decoder = new TextDecoder();

const withRoot = async (f: (root: string) => Promise<void>): Promise<void> => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-step-" });
  try {
    await f(`${dir}/store`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
};

const runIn = <A, E>(
  root: string,
  program: Effect.Effect<A, E, Pipeline>,
  options: PipelineOptions = {},
): Promise<A> =>
  Effect.runPromise(program.pipe(Effect.provide(Pipeline.layerDisk({ root, ...options }))));

/** The PipelineError `program` fails with (the test fails if it succeeds or fails otherwise). */
const failureOf = async (
  root: string,
  program: Effect.Effect<unknown, PipelineError, Pipeline>,
): Promise<PipelineError> => {
  const error = await runIn(root, Effect.flip(program));
  assert.ok(error instanceof PipelineError, `expected a PipelineError, got ${error}`);
  return error;
};

/** Reads a JSON artifact's value. */
const valueOf = (artifact: Artifact) =>
  Effect.gen(function* () {
    const { store } = yield* Pipeline;
    return JSON.parse(decoder.decode(yield* store.readBlob(artifact.id)));
  });

interface Invocation {
  readonly step: string;
  readonly iteration: number | null;
  readonly hit: boolean;
  readonly run: string | null;
}

/** Runs `program` as scenario `name` and returns its result and recorded invocations. */
const inScenario = <A, E>(root: string, name: string, program: Effect.Effect<A, E, Pipeline>) =>
  runIn(
    root,
    Effect.gen(function* () {
      const result = yield* scenario(name, {}, program);
      const { store } = yield* Pipeline;
      const record = yield* store.readRecord((yield* store.readRef(`scenarios/${name}`))!);
      return { result, invocations: record.invocations as unknown as Invocation[] };
    }),
  );

/** A step that outputs its config's value. */
const constant = (name: string, value: unknown) =>
  step({
    name,
    outputs: { value: Json },
    config: { value },
    run: (_inputs, config) => ({ value: config.value }),
  });

/** Every object of type "run" in the store. */
const runRecords = (root: string): string[] => {
  const ctx = openStoreContext(root, { create: false });
  try {
    return listObjects(ctx).ids.filter((id) =>
      identify(ctx, id) === "record" &&
      decodeRecord(readVerified(ctx, id, "record"), id).type === "run"
    );
  } finally {
    ctx.session.close();
  }
};

Deno.test("step() fails with InvalidStep when a required input is missing", async () => {
  await withRoot(async (root) => {
    calls.needsX = 0;
    const needsX = step({
      name: "needs-x",
      inputs: { x: Json },
      outputs: { y: Json },
      run: ({ x }) => {
        calls.needsX++;
        return { y: x };
      },
    });
    const error = await failureOf(root, needsX({} as never));
    assert.equal(error.reason._tag, "InvalidStep");
    assert.match(error.message, /step "needs-x": input "x" is missing/);
    assert.equal(calls.needsX, 0);
  });
});

Deno.test("step() keys an absent optional input apart from a present one", async () => {
  await withRoot(async (root) => {
    seenExtras.length = 0;
    const seen = seenExtras;
    const blend = step({
      name: "blend",
      inputs: { base: Json, extra: optional(Json) },
      outputs: { total: Json },
      run: ({ base, extra }) => {
        seenExtras.push(extra);
        return { total: base + (extra ?? 0) };
      },
    });
    const { result, invocations } = await inScenario(
      root,
      "optional",
      Effect.gen(function* () {
        const base = (yield* constant("base", 1)({})).value;
        const zero = (yield* constant("zero", 0)({})).value;
        const withExtra = yield* blend({ base, extra: zero });
        const without = yield* blend({ base });
        const again = yield* blend({ base });
        return { withExtra, without, again };
      }),
    );
    assert.deepEqual(
      invocations.filter((i) => i.step === "blend").map((i) => i.hit),
      [false, false, true],
      "with extra: miss; without: miss (a different key, though the output is the same); again: hit",
    );
    assert.deepEqual(seen, [0, undefined]);
    assert.equal(result.withExtra.total.id, result.without.total.id, "same output bytes");
    assert.notEqual(result.withExtra.total.producer, result.without.total.producer);
    assert.equal(result.again.total.producer, result.without.total.producer);
  });
});

/** Every file under `dir`, relative path → text. */
const readFiles = (dir: string, prefix = ""): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const entry of Deno.readDirSync(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) Object.assign(out, readFiles(path, `${prefix}${entry.name}/`));
    else out[`${prefix}${entry.name}`] = Deno.readTextFileSync(path);
  }
  return out;
};

Deno.test("step() ingests a Dir output as a tree and hands it on as a directory", async () => {
  await withRoot(async (root) => {
    const FILES = { "a.txt": "alpha\n", "sub/b.txt": "beta\n", "sub/deeper/c.txt": "" };
    const writeTree = step({
      name: "write-tree",
      outputs: { tree: Dir },
      config: { files: FILES },
      run: (_inputs, config, ctx) => {
        for (const [name, text] of Object.entries(config.files)) {
          const path = `${ctx.outDir}/tree/${name}`;
          Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
          Deno.writeTextFileSync(path, text);
        }
        return {};
      },
    });
    const readTree = step({
      name: "read-tree",
      inputs: { tree: Dir },
      outputs: { files: Json },
      run: ({ tree }) => {
        assert.ok(Deno.statSync(tree).isDirectory);
        return { files: readFiles(tree) };
      },
    });
    const { tree, files, entries } = await runIn(
      root,
      Effect.gen(function* () {
        const { tree } = yield* writeTree({});
        const { files } = yield* readTree({ tree });
        const { store } = yield* Pipeline;
        const entries = yield* store.readTree(tree.id);
        return { tree, files: yield* valueOf(files), entries };
      }),
    );
    assert.equal(tree.kind, "tree");
    assert.equal(tree.codec, "dir");
    assert.equal(tree.size, "alpha\n".length + "beta\n".length);
    assert.deepEqual(entries.map((e) => [e.name, e.mode]), [["a.txt", "file"], [
      "sub",
      "directory",
    ]]);
    assert.deepEqual(files, FILES);
  });
});

Deno.test("ctx.path() materializes a value-codec input as a file of its stored bytes", async () => {
  await withRoot(async (root) => {
    const viaPath = step({
      name: "via-path",
      inputs: { doc: Json },
      outputs: { text: Text },
      run: (_inputs, _config, ctx) => {
        const path = ctx.path("doc");
        assert.ok(Deno.statSync(path).isFile);
        return { text: Deno.readTextFileSync(path) };
      },
    });
    const text = await runIn(
      root,
      Effect.gen(function* () {
        const doc = (yield* constant("doc", { b: [2, 3], a: "x" })({})).value;
        const { text } = yield* viaPath({ doc });
        const { store } = yield* Pipeline;
        return decoder.decode(yield* store.readBlob(text.id));
      }),
    );
    assert.equal(text, '{"a":"x","b":[2,3]}', "the canonical JSON the Json codec stored");
  });
});

Deno.test("step() fails with StepFailed when run returns an undeclared output", async () => {
  await withRoot(async (root) => {
    const sloppy = step({
      name: "sloppy",
      outputs: { y: Json },
      run: () => {
        const out = { y: 1, z: 2 };
        return out;
      },
    });
    const error = await failureOf(root, sloppy({}));
    assert.equal(error.reason._tag, "StepFailed");
    if (error.reason._tag === "StepFailed") assert.equal(error.reason.step, "sloppy");
    assert.match(error.message, /returned "z", which is not a declared output/);
    assert.deepEqual(runRecords(root), [], "a failed run is not recorded");
  });
});

Deno.test("step() stores a Table output as Parquet and a consumer reads the same rows", async () => {
  await withRoot(async (root) => {
    const ROWS = [
      { zone: 1, name: "north", active: true, population: 1200.5, note: null },
      { zone: 2, name: "south", active: false, population: 800, note: "coastal" },
    ];
    const makeTable = step({
      name: "make-table",
      outputs: { zones: Table },
      config: { rows: ROWS },
      run: (_inputs, config) => ({ zones: config.rows }),
    });
    const readTable = step({
      name: "read-table",
      inputs: { zones: Table },
      outputs: { rows: Json },
      run: ({ zones }) => ({ rows: zones }),
    });
    const { zones, bytes, rows } = await runIn(
      root,
      Effect.gen(function* () {
        const { zones } = yield* makeTable({});
        const { rows } = yield* readTable({ zones });
        const { store } = yield* Pipeline;
        return { zones, bytes: yield* store.readBlob(zones.id), rows: yield* valueOf(rows) };
      }),
    );
    assert.equal(zones.codec, "table");
    assert.equal(decoder.decode(bytes.subarray(0, 4)), "PAR1");
    assert.equal(decoder.decode(bytes.subarray(-4)), "PAR1");
    assert.deepEqual(rows, ROWS);
  });
});

class Weights {
  beta = 1;
}

Deno.test("step() refuses a config that is not plain data, naming the path, and records nothing", async () => {
  const cyclic: Record<string, unknown> = { name: "loop" };
  cyclic.self = cyclic;
  const cases: [string, unknown, string][] = [
    ["function", { mode: { alpha: 1, beta: () => 1 } }, "config.mode.beta"],
    ["NaN", { weights: [0.5, NaN] }, "config.weights[1]"],
    ["cycle", { graph: cyclic }, "config.graph.self"],
    ["class instance", { mode: { weights: new Weights() } }, "config.mode.weights"],
  ];
  for (const [what, config, path] of cases) {
    await withRoot(async (root) => {
      calls.badConfig = 0;
      const bad = step({
        name: "bad-config",
        outputs: { y: Json },
        config,
        run: () => {
          calls.badConfig++;
          return { y: 1 };
        },
      });
      const error = await failureOf(root, bad({}));
      assert.equal(error.reason._tag, "ConfigNotCanonical", what);
      if (error.reason._tag === "ConfigNotCanonical") assert.equal(error.reason.path, path, what);
      assert.ok(error.message.includes(path), `${what}: ${error.message}`);
      assert.equal(calls.badConfig, 0, what);
      assert.deepEqual(runRecords(root), [], `${what}: no run record`);
    });
  }
});

Deno.test("iterate({ max, until }) stops after the iteration where until returns true", async () => {
  await withRoot(async (root) => {
    const bump = step({
      name: "bump",
      inputs: { x: Json },
      outputs: { x: Json },
      run: ({ x }) => ({ x: x + 1 }),
    });
    const checks: [number, number, number][] = [];
    const { result, invocations } = await inScenario(
      root,
      "converge",
      Effect.gen(function* () {
        const start = (yield* constant("start", 0)({})).value;
        return yield* iterate(
          {
            max: 10,
            until: (previous, next, i) =>
              Effect.gen(function* () {
                const [a, b] = [yield* valueOf(previous), yield* valueOf(next)];
                checks.push([a, b, i]);
                return b >= 3;
              }).pipe(Effect.orDie),
          },
          start,
          (state) => Effect.map(bump({ x: state }), (o) => o.x),
        );
      }),
    );
    assert.deepEqual(checks, [[0, 1, 0], [1, 2, 1], [2, 3, 2]]);
    assert.deepEqual(invocations.filter((i) => i.step === "bump").map((i) => i.iteration), [
      0,
      1,
      2,
    ]);
    assert.equal(await runIn(root, valueOf(result)), 3);
  });
});

// One declaration site, so both variants share a code identity and thus a cache key.
let produced = 0;
const produceRun = () => {
  produced++;
  return { value: { n: 42 } };
};
const producer = (validate: "lazy" | "eager") =>
  step({ name: "produce", outputs: { value: Json }, validate, run: produceRun });

const consume = step({
  name: "consume",
  inputs: { value: Json },
  outputs: { n: Json },
  run: ({ value }) => ({ n: value.n }),
});

// Damages a stored object in place: same size, different bytes (as a write through a
// hard link, or a flipped disk block, would).
const damage = (root: string, id: string): { path: string; original: string } => {
  const path = `${root}/objects/${id.slice(0, 2)}/${id.slice(2)}`;
  const original = Deno.readTextFileSync(path);
  Deno.chmodSync(path, 0o644);
  Deno.writeTextFileSync(path, original.replace("42", "43"));
  Deno.chmodSync(path, 0o444);
  return { path, original };
};

Deno.test("a damaged cached output read by a consumer: a clear error, and the next run re-creates it", async () => {
  await withRoot(async (root) => {
    produced = 0;
    const { value } = await runIn(root, producer("lazy")({}));
    assert.equal(produced, 1);
    const { path, original } = damage(root, value.id);

    // Lazy: the hit is trusted, and the damage surfaces when the consumer reads it.
    const lazy = await failureOf(
      root,
      Effect.flatMap(producer("lazy")({}), ({ value }) => consume({ value })),
    );
    assert.equal(produced, 1, "lazy reuse");
    assert.equal(lazy.reason._tag, "InputDamaged");
    assert.match(lazy.message, /input "value" of step "consume"/);
    assert.match(lazy.message, /running the pipeline again re-creates it/);

    // The advice works: the producer's entry was withdrawn, so it runs again and writes
    // the object afresh, and the consumer reads the right value.
    const { invocations, result } = await inScenario(
      root,
      "again",
      Effect.gen(function* () {
        const { value } = yield* producer("lazy")({});
        return yield* valueOf((yield* consume({ value })).n);
      }),
    );
    assert.equal(produced, 2);
    assert.deepEqual(invocations.map((i) => [i.step, i.hit]), [["produce", false], [
      "consume",
      false,
    ]]);
    assert.equal(result, 42);
    assert.equal(Deno.readTextFileSync(path), original, "the object file was rewritten");
  });
});

Deno.test("validate: eager turns a damaged cached output into a miss that rewrites it", async () => {
  await withRoot(async (root) => {
    produced = 0;
    const { value } = await runIn(root, producer("eager")({}));
    const { path, original } = damage(root, value.id);

    // Eager: the damage is found before reuse, the step runs again, and its output is whole.
    const { invocations, result } = await inScenario(
      root,
      "eager",
      Effect.gen(function* () {
        const { value } = yield* producer("eager")({});
        return yield* valueOf((yield* consume({ value })).n);
      }),
    );
    assert.equal(produced, 2, "eager re-ran the producer");
    assert.deepEqual(invocations.map((i) => [i.step, i.hit]), [["produce", false], [
      "consume",
      false,
    ]]);
    assert.equal(result, 42);
    assert.equal(Deno.readTextFileSync(path), original, "the object file was rewritten");

    // And the repaired output is a plain hit from now on.
    const again = await inScenario(root, "eager", producer("eager")({}));
    assert.deepEqual(again.invocations.map((i) => i.hit), [true]);
    assert.equal(produced, 2);
  });
});

Deno.test("a step's scratch directory survives a zero-grace gc run while the step runs", async () => {
  await withRoot(async (root) => {
    // An explicit version: no code identity is parsed and stored, so the step's scratch
    // directory is the first thing this process makes in the store.
    let store: PipelineApi["store"] | undefined;
    const collected: number[] = [];
    const write = step({
      name: "write_then_gc",
      version: "1",
      outputs: { out: Dir },
      run: (_inputs, _config, ctx) => {
        Deno.mkdirSync(`${ctx.outDir}/out`);
        Deno.writeTextFileSync(`${ctx.outDir}/out/part`, "data");
        // As if `cairn gc --grace 0ms` ran in another process at this moment.
        const report = Effect.runSync(store!.gc({ graceMs: 0, nowMs: Date.now() + 60_000 }));
        collected.push(report.tmpFilesRemoved);
        return {};
      },
    });
    const { out } = await runIn(
      root,
      Effect.gen(function* () {
        store = (yield* Pipeline).store;
        return yield* write({});
      }),
    );
    assert.deepEqual(collected, [0], "gc left the scratch directory alone");
    assert.equal(out.kind, "tree");
  });
});

// Makes `path` immutable, for root too (`chattr +i`); undefined when that cannot be done
// here (not root, or a file system without it), after saying so — and under CI=true,
// where every suite must run, the test fails instead.
const immutable = (path: string): (() => void) | undefined => {
  const chattr = (flag: string) =>
    Deno.uid() === 0 &&
    new Deno.Command("chattr", { args: [flag, path], stderr: "null" }).outputSync().success;
  if (chattr("+i")) return () => chattr("-i");
  if (Deno.env.get("CI") === "true") throw new Error("chattr +i is needed here (CI=true)");
  console.log("note: chattr +i is not available (needs root on ext4/xfs/btrfs); skipped");
  return undefined;
};

const readFile = step({
  name: "read-file",
  inputs: { f: File },
  outputs: { text: Text },
  run: ({ f }) => ({ text: Deno.readTextFileSync(f) }),
});

const promiseFile = step({ name: "promise-file", outputs: { f: File }, run: () => ({}) });

Deno.test("a step whose scratch directory cannot be made fails with a typed StepFailed, not a defect", async () => {
  await withRoot(async (root) => {
    const { value: text } = await runIn(root, constant("text", "x")({}));
    const thaw = immutable(`${root}/tmp`);
    if (!thaw) return;
    try {
      const error = await failureOf(
        root,
        // The File input needs a scratch directory to be materialized into.
        readFile({ f: { ...text, codec: "file" } }),
      );
      assert.equal(error.reason._tag, "StepFailed");
      assert.match(error.message, /step "read-file" failed.*cannot make its scratch directory/is);
      const missing = await failureOf(root, promiseFile({}));
      assert.equal(missing.reason._tag, "StepFailed");
      assert.match(missing.message, /did not write output "f"/);
    } finally {
      thaw();
    }
  });
});

Deno.test("a scratch directory that cannot be removed costs a warning, not the step's result", async () => {
  await withRoot(async (root) => {
    const pinned: string[] = [];
    const leave = step({
      name: "leave-junk",
      outputs: { y: Json },
      version: "1",
      run: (_inputs, _config, ctx) => {
        Deno.writeTextFileSync(`${ctx.outDir}/junk`, "junk");
        const thaw = immutable(`${ctx.outDir}/junk`);
        if (thaw) pinned.push(`${ctx.outDir}/junk`);
        return { y: 1 };
      },
    });
    try {
      const { y } = await runIn(root, leave({}));
      if (pinned.length === 0) return;
      assert.equal(y.kind, "blob", "the step succeeded");
      assert.ok(Deno.statSync(pinned[0]!).isFile, "its scratch directory is still there");
    } finally {
      for (const path of pinned) {
        new Deno.Command("chattr", { args: ["-i", path] }).outputSync();
      }
    }
  });
});

const answer = step({ name: "answer", outputs: { y: Json }, run: () => ({ y: 42 }) });

/** The key and cache value recorded for the only run of `answer` in the store at `root`. */
const answerEntry = (root: string) =>
  runIn(
    root,
    Effect.gen(function* () {
      const { store } = yield* Pipeline;
      const { y } = yield* answer({});
      const record = yield* store.readRecord(y.producer!);
      return { key: record.key as string, y };
    }),
  );

Deno.test("a cache entry naming something other than a run of its key is a miss, never forged outputs", async () => {
  await withRoot(async (root) => {
    const { key } = await answerEntry(root);
    const forged = await runIn(
      root,
      Effect.gen(function* () {
        const { store } = yield* Pipeline;
        const lie = yield* store.putBlob(new TextEncoder().encode("666"));
        // A well-formed line with a valid checksum: a blob posing as the run record.
        yield* store.index("cache").append(key, `${lie.id} {"y":["${lie.id}","blob","json",3]}`);
        return lie.id;
      }),
    );
    const { invocations, result } = await inScenario(
      root,
      "forged",
      Effect.flatMap(answer({}), ({ y }) => valueOf(y)),
    );
    assert.deepEqual(invocations.map((i) => i.hit), [false], "the forged entry was not a hit");
    assert.equal(result, 42);
    assert.notEqual(invocations[0]!.run, forged);
    const kept = await runIn(root, Effect.flatMap(Pipeline, ({ store }) => store.readBlob(forged)));
    assert.equal(new TextDecoder().decode(kept), "666", "an intact blob is never set aside");
  });
});

Deno.test("a cache entry whose outputs are gone (a gc killed mid-sweep) is a miss, never an error", async () => {
  await withRoot(async (root) => {
    const { y } = await answerEntry(root);
    Deno.removeSync(`${root}/objects/${y.id.slice(0, 2)}/${y.id.slice(2)}`);
    const { invocations, result } = await inScenario(
      root,
      "gone",
      Effect.flatMap(answer({}), ({ y }) => valueOf(y)),
    );
    assert.deepEqual(invocations.map((i) => i.hit), [false]);
    assert.equal(result, 42);
  });
});
