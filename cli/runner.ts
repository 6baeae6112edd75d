/**
 * `cairn runner --sql URL [--module FILE]... [--store PATH] [--remote NAME] [--host H]
 * [--port N] [--drain SECONDS] [--json]`: a cluster runner (see `lib/pipeline/cluster/runner.ts`)
 * that runs the misses a pipeline with the `cluster` executor sends. It runs in a
 * process of its own under the pipeline project's deno.json (the first module's
 * project, else the current directory's: where it finds the steps' modules), so that
 * the modules' imports resolve as they do for the pipeline; SIGTERM and SIGINT are passed on (the
 * runner drains, then exits).
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import * as Command from "effect/cli/Command";
import * as Flag from "effect/cli/Flag";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runnerProjects } from "../lib/pipeline/cluster/step_module.ts";
import { jsonFlag } from "./_output.ts";
import { storeFlag } from "./_store.ts";

const MAIN = "lib/pipeline/cluster/runner_main.ts";

// cairn's own root: up from this file (a source file here, or the CLI's bundle).
const cairnRoot = (): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(`${dir}/${MAIN}`) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
};

// The deno.json the runner must run under: its project's (the first module's, else the
// current directory's: where it finds the steps' modules), else cairn's.
const configFor = (modules: readonly string[], root: string): string | undefined => {
  const roots = [runnerProjects(modules.slice(0, 1), Deno.cwd())[0]!, root];
  return roots.flatMap((r) => ["deno.json", "deno.jsonc"].map((n) => `${r}/${n}`))
    .find((p) => existsSync(p));
};

const run = (args: readonly string[], modules: readonly string[]) =>
  Effect.gen(function* () {
    const root = cairnRoot();
    const config = configFor(modules, root);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        "--quiet",
        ...(config ? ["--config", config] : []),
        `${root}/${MAIN}`,
        ...args,
      ],
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    const pass = (signal: Deno.Signal) => () => {
      try {
        child.kill(signal);
      } catch { /* gone */ }
    };
    const term = pass("SIGTERM");
    const int = pass("SIGINT");
    Deno.addSignalListener("SIGTERM", term);
    Deno.addSignalListener("SIGINT", int);
    const status = yield* Effect.callback<Deno.CommandStatus>((resume) => {
      void child.status.then((s) => resume(Effect.succeed(s)));
      // Interrupted (the CLI's own handling of SIGTERM and SIGINT): this process must
      // outlive the runner's drain — a Slurm job ends, killing what is left, when its
      // first process exits.
      return Effect.promise(async () => {
        term();
        await child.status;
      });
    }).pipe(Effect.ensuring(Effect.sync(() => {
      Deno.removeSignalListener("SIGTERM", term);
      Deno.removeSignalListener("SIGINT", int);
    })));
    if (status.code !== 0) Deno.exitCode = status.code;
  });

/** The `runner` command. */
export const runnerCommand = Command.make(
  "runner",
  {
    sql: Flag.String("sql").pipe(
      Flag.withDescription("The cluster's PostgreSQL database (postgres://user@host:port/db)"),
      Flag.withMetavar("URL"),
    ),
    module: Flag.String("module").pipe(
      Flag.withDescription(
        "A pipeline module to import at start (repeat for several). The runner finds the modules of the steps it is sent by their project-relative addresses under this module's project (the nearest directory above it with a deno.json), so the project may sit at another path than on the pipeline's host; without --module, under the project of the directory it starts in",
      ),
      Flag.withMetavar("FILE"),
      Flag.atLeast(0),
    ),
    remote: Flag.String("remote").pipe(
      Flag.withDescription(
        "On another host than the pipeline: the remote (of this store) it shares with the pipeline; inputs come from it, and each run goes up before the reply",
      ),
      Flag.withMetavar("NAME"),
      Flag.optional,
    ),
    host: Flag.String("host").pipe(
      Flag.withDescription("The host other runners and pipelines reach this one at"),
      Flag.withDefault("localhost"),
    ),
    port: Flag.Int("port").pipe(
      Flag.withDescription("Its port"),
      Flag.withDefault(34431),
    ),
    drain: Flag.Int("drain").pipe(
      Flag.withDescription("On SIGTERM, wait this many seconds for running invocations"),
      Flag.withMetavar("SECONDS"),
      Flag.withDefault(60),
    ),
    json: jsonFlag,
    store: storeFlag,
  },
  ({ sql, module, remote, host, port, drain, json, store }) =>
    run([
      "--sql",
      sql,
      "--store",
      Option.getOrElse(store, () => Deno.env.get("CAIRN_STORE") ?? ".cairn"),
      ...Option.match(remote, { onNone: () => [], onSome: (r) => ["--remote", r] }),
      ...module.flatMap((m) => ["--module", resolve(m)]),
      "--host",
      host,
      "--port",
      String(port),
      "--drain",
      String(drain),
      ...(json ? ["--json"] : []),
    ], module),
).pipe(
  Command.withDescription(
    "Join an Effect Cluster on PostgreSQL and run the misses pipelines send it (the cluster executor)",
  ),
  Command.withExamples([
    {
      command: "cairn runner --sql postgres://postgres@127.0.0.1/postgres --module pipeline.ts",
      description: "A runner on this host, port 34431",
    },
    {
      command:
        "cd /scratch/alice/proj && cairn runner --sql postgres://postgres@db-host/postgres --remote origin --host $(hostname)",
      description:
        "A runner on another host, in its own checkout of the pipeline's project (at any path)",
    },
  ]),
);
