// `cairn runner`: it starts the runner in a process of its own under the module's
// project config (without --module, that of the directory it starts in), and a module
// that cannot be imported stops it at once, saying which.
import assert from "node:assert/strict";
import { fromFileUrl } from "../../lib/identity/paths.ts";
import { withTempDir } from "./_fixture.ts";
import { postgresOrSkip } from "../cluster/_postgres.ts";

const ROOT = fromFileUrl(new URL("../..", import.meta.url).href).replace(/\/$/, "");
// As `deno task cairn` runs the CLI: the launcher without the project's config.
const CAIRN = ["run", "-A", "--no-config", `${ROOT}/cli/launch.ts`];

Deno.test("cairn runner with a module that cannot be imported exits 1, naming the module and what to do", async () => {
  await withTempDir(async (dir) => {
    const module = `${dir}/broken.ts`;
    Deno.writeTextFileSync(module, "export const x = ;\n");
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        ...CAIRN,
        "runner",
        "--sql",
        "postgres://postgres@127.0.0.1:1/none",
        "--store",
        `${dir}/store`,
        "--module",
        module,
      ],
      env: { NO_COLOR: "1", CAIRN_PROGRESS: "0" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, stderr);
    assert.match(stderr, /Cannot start the runner: importing .*broken\.ts failed/);
    assert.match(stderr, /fix the module/);
  });
});

// A project of its own at `dir/proj`: cairn's import map plus `answer`, a bare
// specifier only this project maps; a step module that imports it, and a pipeline that
// runs its step with the cluster executor and prints the output.
const userProject = (dir: string): string => {
  const proj = `${dir}/proj`;
  Deno.mkdirSync(proj);
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`));
  const imports: Record<string, string> = {};
  for (const [name, target] of Object.entries(config.imports as Record<string, string>)) {
    imports[name] = target.startsWith("./") ? `file://${ROOT}/${target.slice(2)}` : target;
  }
  imports.answer = "./answer.ts";
  Deno.writeTextFileSync(
    `${proj}/deno.json`,
    JSON.stringify({ nodeModulesDir: "auto", imports }, null, 2),
  );
  Deno.copyFileSync(`${ROOT}/deno.lock`, `${proj}/deno.lock`);
  Deno.symlinkSync(Deno.realPathSync(`${ROOT}/node_modules`), `${proj}/node_modules`);
  Deno.writeTextFileSync(`${proj}/answer.ts`, "export const answer = 42;\n");
  Deno.mkdirSync(`${proj}/steps`);
  Deno.writeTextFileSync(
    `${proj}/steps/ask.ts`,
    [
      `import { Json, step } from "cairn";`,
      `import { answer } from "answer";`,
      `export const ask = step({ name: "cli.ask", outputs: { y: Json }, run: () => ({ y: answer }) });`,
      "",
    ].join("\n"),
  );
  Deno.writeTextFileSync(
    `${proj}/pipeline.ts`,
    [
      `import { Effect } from "effect";`,
      `import { Pipeline } from "cairn";`,
      `import { cluster } from "cairn/cluster";`,
      `import { ask } from "./steps/ask.ts";`,
      `const [store, sql] = Deno.args;`,
      `const y = await Effect.runPromise(Effect.gen(function* () {`,
      `  const { y } = yield* ask({});`,
      `  return new TextDecoder().decode(yield* (yield* Pipeline).store.readBlob(y.id));`,
      `}).pipe(Effect.provide(Pipeline.layerDisk({ root: store!, executor: cluster({ sql: sql! }) }))));`,
      `console.log(y);`,
      "",
    ].join("\n"),
  );
  return proj;
};

Deno.test("cairn runner without --module, started in a project's directory, runs its steps under that project's deno.json", async () => {
  const pg = await postgresOrSkip("the runner started in a project's directory");
  if (!pg) return;
  try {
    await withTempDir(async (dir) => {
      const proj = userProject(dir);
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = (listener.addr as Deno.NetAddr).port;
      listener.close();
      // As `deno task cairn` runs it, from a directory inside the project.
      const runner = new Deno.Command(Deno.execPath(), {
        args: [
          ...CAIRN,
          "runner",
          "--sql",
          pg.url,
          "--store",
          `${dir}/store`,
          "--host",
          "127.0.0.1",
          "--port",
          String(port),
          "--json",
        ],
        cwd: `${proj}/steps`,
        env: { NO_COLOR: "1", CAIRN_PROGRESS: "0" },
        stdin: "null",
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      const events: { event: string; pid?: number; projects?: string[] }[] = [];
      const lines = (async () => {
        let pending = "";
        for await (const chunk of runner.stdout.pipeThrough(new TextDecoderStream())) {
          pending += chunk;
          let at: number;
          while ((at = pending.indexOf("\n")) >= 0) {
            try {
              events.push(JSON.parse(pending.slice(0, at)));
            } catch { /* not an event */ }
            pending = pending.slice(at + 1);
          }
        }
      })();
      try {
        const deadline = Date.now() + 60_000;
        while (!events.some((e) => e.event === "ready") && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
        }
        const ready = events.find((e) => e.event === "ready");
        assert.ok(ready, "the runner is ready");
        assert.deepEqual(ready.projects, [proj], "its project: its directory's");
        const out = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            "--config",
            `${proj}/deno.json`,
            `${proj}/pipeline.ts`,
            `${dir}/store`,
            pg.url,
          ],
          env: { NO_COLOR: "1", CAIRN_PROGRESS: "0" },
          stdout: "piped",
          stderr: "piped",
        }).output();
        const stderr = new TextDecoder().decode(out.stderr);
        assert.equal(out.code, 0, stderr);
        assert.equal(new TextDecoder().decode(out.stdout).trim(), "42");
        assert.equal(events.filter((e) => e.event === "done").length, 1, "it ran on the runner");
      } finally {
        try {
          Deno.kill(runner.pid, "SIGTERM");
        } catch { /* gone */ }
        await runner.status;
        await lines;
      }
    });
  } finally {
    await pg.stop();
  }
});
