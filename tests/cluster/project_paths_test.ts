// A runner takes a step's module from its own checkout of the project, found by the
// step's project-relative address, not from the absolute path the pipeline's host
// has it at: the runner runs from a copy of this project at another path, in a
// sandbox (bubblewrap) where this project's directory is an empty tmpfs, and every
// miss of the pipeline run from here runs there, with the same keys (a replay is all
// hits). A copy that lacks the module refuses, naming the address and the path it
// looked at. bubblewrap missing: skipped with the reason, a failure under CI=true.
import assert from "node:assert/strict";
import { cpSync, mkdirSync, realpathSync } from "node:fs";
import { Effect } from "effect";
import { input, Pipeline, PipelineError, sweep } from "../../mod.ts";
import { cluster } from "../../lib/pipeline/cluster/mod.ts";
import { withCluster } from "./_postgres.ts";
import { type Spawn, startRunner } from "./_runners.ts";
import { double } from "./_steps.ts";

Deno.env.set("CAIRN_PROGRESS", "0");

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const STEPS = "tests/cluster/_steps.ts";

// A sandbox's arguments: the whole file system, but this project's directory empty;
// this project's node_modules (which may live inside it) bound into the copy's.
const sandboxArgs = (copy: string): string[] => [
  "--bind",
  "/",
  "/",
  "--tmpfs",
  ROOT,
  "--bind",
  realpathSync(`${ROOT}/node_modules`),
  `${copy}/node_modules`,
  "--die-with-parent",
];

// Why the sandbox cannot be made here, or undefined.
const bwrapProblem = (() => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-bwrap-" });
  try {
    const out = new Deno.Command("bwrap", {
      args: ["--bind", "/", "/", "--tmpfs", dir, "true"],
      stdout: "null",
      stderr: "piped",
    }).outputSync();
    return out.success ? undefined : `bwrap cannot run: ${new TextDecoder().decode(out.stderr)}`;
  } catch (e) {
    return `bwrap is not installed (${e instanceof Error ? e.message : e}; Debian: bubblewrap)`;
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
})();

const sandboxTest = (name: string, fn: () => Promise<void>) =>
  Deno.test(name, async () => {
    if (bwrapProblem !== undefined) {
      if (Deno.env.get("CI") === "true") {
        throw new Error(`this test must run in CI: ${bwrapProblem}`);
      }
      console.log(`note: test skipped: ${bwrapProblem}`);
      return;
    }
    await fn();
  });

// Starts a process in the sandbox, its stdout piped.
const sandboxed = (copy: string): Spawn => (command, args, options) =>
  new Deno.Command("bwrap", {
    args: [
      ...sandboxArgs(copy),
      ...(options.cwd ? ["--chdir", options.cwd] : []),
      "--",
      command,
      ...args,
    ],
    env: options.env,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();

// A copy of what a runner needs of this project (cairn's sources, its deno.json and
// lock) at `copy`, with the given test modules.
const copyProject = (copy: string, modules: readonly string[]): string => {
  for (const part of ["deno.json", "deno.lock", "mod.ts", "lib", "store", ...modules]) {
    cpSync(`${ROOT}/${part}`, `${copy}/${part}`, { recursive: true });
  }
  mkdirSync(`${copy}/node_modules`);
  return copy;
};

// Whether `path` exists as the sandbox sees it.
const seenInSandbox = (copy: string, path: string): boolean =>
  new Deno.Command("bwrap", { args: [...sandboxArgs(copy), "--", "test", "-e", path] })
    .outputSync().success;

const read = (id: string) =>
  Effect.flatMap(Pipeline, (p) => p.store.readBlob(id)).pipe(
    Effect.map((b) => JSON.parse(new TextDecoder().decode(b))),
  );

const count = (events: readonly { event: string }[], event: string) =>
  events.filter((e) => e.event === event).length;

// How the runner in the copy is started: its --module (a path in the copy, or none) and
// its working directory (in the copy, or "/").
interface Start {
  readonly module: string | null;
  readonly cwd: string;
}

const missesRunInTheCopy = (start: Start) => async () => {
  await withCluster("project at another path", async (sql, store, dir) => {
    const copy = copyProject(`${dir}/elsewhere/cairn`, [STEPS]);
    assert.ok(!seenInSandbox(copy, `${ROOT}/${STEPS}`), "the sandbox hides this project");
    assert.ok(seenInSandbox(copy, `${copy}/${STEPS}`), "the sandbox shows the copy");
    const at = (path: string) => path === "/" ? path : `${copy}/${path}`;
    const runner = await startRunner(
      sql,
      store,
      {},
      start.module === null ? null : at(start.module),
      { spawn: sandboxed(copy), root: copy, cwd: at(start.cwd) },
    );
    try {
      const values = { a: 1, b: 2, c: 3, d: 4 };
      const program = sweep("doubling", values, (x) =>
        Effect.gen(function* () {
          const d = yield* double({ x: yield* input.value(x) });
          return { y: yield* read(d.y.id), pid: yield* read(d.pid.id) };
        }));
      const layer = () => Pipeline.layerDisk({ root: store, executor: cluster({ sql }) });
      const first = await Effect.runPromise(program.pipe(Effect.provide(layer())));
      const refused = runner.events.flatMap((e) => e.event === "refused" ? [e.detail] : []);
      assert.deepEqual(refused, [], "the runner refused nothing");
      for (const [label, x] of Object.entries(values)) {
        const got = first[label as keyof typeof first]!;
        assert.equal(got.y, 2 * x);
        assert.equal(got.pid, runner.pid, `${label} ran on the runner in the copy`);
      }
      assert.equal(count(runner.events, "done"), 4, "the runner ran the four misses");
      const said = runner.events.length;
      const again = await Effect.runPromise(program.pipe(Effect.provide(layer())));
      assert.deepEqual(again, first);
      assert.deepEqual(
        runner.events.slice(said).filter((e) => e.event !== "shards" && e.event !== "log"),
        [],
        "the replay sent the runner nothing",
      );
      const ready = runner.events.find((e) => e.event === "ready");
      assert.deepEqual(ready?.event === "ready" && ready.projects, [copy], "its project: the copy");
    } finally {
      await runner.stop();
    }
  });
};

sandboxTest(
  "a runner in a copy of the project at another path, without this path, runs every miss (its --module declares the step); a replay is all hits",
  missesRunInTheCopy({ module: STEPS, cwd: "/" }),
);

sandboxTest(
  "a runner in a copy of the project at another path finds the step's module by its address under its --module's project",
  missesRunInTheCopy({ module: "mod.ts", cwd: "/" }),
);

sandboxTest(
  "a runner started without --module in a directory of a copy of the project finds the step's module by its address under that project",
  missesRunInTheCopy({ module: null, cwd: "lib/pipeline" }),
);

sandboxTest(
  "a runner whose checkout lacks the step's module refuses, naming the address and the path it looked at",
  async () => {
    await withCluster("module missing from the copy", async (sql, store, dir) => {
      const copy = copyProject(`${dir}/elsewhere/cairn`, []);
      // Started in the copy's directory without --module: its project is that directory's.
      const runner = await startRunner(sql, store, {}, null, {
        spawn: sandboxed(copy),
        root: copy,
        cwd: copy,
      });
      try {
        const exit = await Effect.runPromiseExit(
          Effect.gen(function* () {
            return yield* double({ x: yield* input.value(21) });
          }).pipe(Effect.provide(Pipeline.layerDisk({ root: store, executor: cluster({ sql }) }))),
        );
        assert.equal(exit._tag, "Failure");
        const error = Effect.runSync(
          Effect.flip(Effect.failCause(exit._tag === "Failure" ? exit.cause : undefined!)),
        );
        assert.ok(error instanceof PipelineError, "a PipelineError");
        assert.equal(error.reason._tag, "ExecutorFailed");
        const message = error.message;
        assert.ok(message.includes(`${STEPS}#double`), `names the address: ${message}`);
        assert.ok(message.includes(`${copy}/${STEPS}`), `names the path it looked at: ${message}`);
        assert.match(message, /start the runners .* in a checkout of the same project/);
        assert.match(message, /nor does .*\(the pipeline.s path\)/);
        assert.equal(count(runner.events, "refused"), 1, "the runner refused it");
        assert.equal(count(runner.events, "done"), 0);
      } finally {
        await runner.stop();
      }
    });
  },
);
