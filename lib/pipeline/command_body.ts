// The miss path of a command: its work directory (the scratch directory) holds its
// inputs as real files under `in/` (copies, named with their codec's extension), the
// declared sources at their project paths (symbolic links to the project's files),
// and `out/` for what it must create; it is the program's HOME and TMPDIR too. The program
// runs there — on the host, under the sandbox or in a container — its output captured
// and echoed; then its logs are stored, a failure is reported with the end of its
// stderr (and the undeclared files it could not open), each declared output is
// checked, files left behind are listed, and the sources are stored and compared with
// the ones its key was computed from.
import * as Effect from "effect/Effect";
import { dirname } from "node:path";
import type { ObjectId } from "../../store/object_id.ts";
import type { Artifact } from "../model/artifact.ts";
import {
  CommandFailed,
  type CommandLogs,
  CommandOutputMissing,
  InvalidStep,
  type PipelineError,
  pipelineError,
  RunnerUnavailable,
} from "./errors.ts";
import type { PipelineApi } from "./pipeline.ts";
import type { Scratch } from "./scratch.ts";
import { type BodyResult, copyInput } from "./execute.ts";
import { type Captured, type ChildEnd, runChild, STOP_GRACE_MS } from "./command_child.ts";
import {
  commandLine,
  type ContainerSpec,
  type Runner,
  sandboxAvailable,
  stopContainer,
} from "./command_runner.ts";
import { sourceIds } from "./command_sources.ts";
import type { ResolvedTools } from "./command_tools.ts";
import { unopenedPaths } from "./unopened_paths.ts";

/** Everything a command invocation's miss needs, prepared with its key. */
export interface CommandRun {
  readonly pipeline: PipelineApi;
  readonly step: string;
  readonly iteration: number | null;
  readonly scenario: string | null;
  readonly inputs: Readonly<Record<string, Artifact | undefined>>;
  /** Input name → its path in the work directory (present inputs only). */
  readonly staged: Readonly<Record<string, string>>;
  /** Output name → its path in the work directory, and whether it is a directory. */
  readonly outputs: Readonly<Record<string, { readonly path: string; readonly dir: boolean }>>;
  readonly argv: readonly string[];
  /** How argv[0] is started: a tool's path, a source in the work directory, or by the image. */
  readonly program: { readonly tool: string } | { readonly source: string } | {
    readonly image: true;
  };
  /** The program's environment (PATH, the declared variables; HOME and TMPDIR are added). */
  readonly env: Readonly<Record<string, string>>;
  readonly root: string;
  readonly sources: readonly string[];
  readonly sourceKey: Readonly<Record<string, string>>;
  readonly tools: ResolvedTools;
  readonly placement:
    | {
      readonly container: ContainerSpec;
      readonly runtime: string;
      readonly program: string;
      readonly imageId: string;
    }
    | { readonly sandbox: boolean | "auto" };
  readonly timeoutMs: number | undefined;
}

const label = (
  run: CommandRun,
) => (run.iteration === null ? run.step : `${run.step}@${run.iteration}`);

const invalid = (run: CommandRun, detail: string) =>
  pipelineError(new InvalidStep({ step: run.step, detail }));

let containers = 0;

const SIGNALS: Readonly<Record<number, string>> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  4: "SIGILL",
  6: "SIGABRT",
  8: "SIGFPE",
  9: "SIGKILL",
  11: "SIGSEGV",
  13: "SIGPIPE",
  14: "SIGALRM",
  15: "SIGTERM",
};
const warnedPlain = new Set<string>();

const chooseRunner = (run: CommandRun): Effect.Effect<Runner, PipelineError> =>
  Effect.gen(function* () {
    const placement = run.placement;
    if ("container" in placement) {
      return {
        kind: "container",
        runtime: placement.runtime,
        program: placement.program,
        imageId: placement.imageId,
        spec: placement.container,
      } as const;
    }
    if (placement.sandbox === false) return { kind: "plain" } as const;
    const available = yield* sandboxAvailable();
    if ("bwrap" in available) return { kind: "sandbox", bwrap: available.bwrap } as const;
    if (placement.sandbox === true) {
      return yield* Effect.fail(
        pipelineError(
          new RunnerUnavailable({
            step: run.step,
            runner: "sandbox",
            detail: available.problem,
            fix:
              "install bubblewrap (Debian: apt-get install bubblewrap), or set sandbox: false to run it on the host",
          }),
        ),
      );
    }
    // The default, "auto": said once a process, then on the host.
    if (!warnedPlain.has(available.problem)) {
      warnedPlain.add(available.problem);
      run.pipeline.progress.log(
        `[cairn] commands run without the sandbox: ${available.problem} (install bubblewrap to have undeclared reads refused; sandbox: false silences this)`,
      );
    }
    return { kind: "plain" } as const;
  });

const attempt = <A>(run: CommandRun, what: string, f: () => A) =>
  Effect.try({ try: f, catch: (e) => invalid(run, `cannot ${what}: ${message(e)}`) });

// The declared sources, as symbolic links at their project paths in the work directory.
const linkSources = (run: CommandRun, workDir: string) =>
  attempt(run, "put its sources into its work directory", () => {
    const made = new Set<string>();
    for (const source of [...run.sources].map((s) => s.replace(/\/$/, "")).sort()) {
      // A source inside a declared directory is there already.
      if ([...made].some((m) => source.startsWith(`${m}/`))) continue;
      const link = `${workDir}/${source}`;
      Deno.mkdirSync(dirname(link), { recursive: true });
      Deno.symlinkSync(`${run.root}/${source}`, link);
      made.add(source);
    }
    return made;
  });

const storeLog = (run: CommandRun, captured: Captured) =>
  Effect.mapError(
    captured.memory !== undefined
      ? run.pipeline.store.putBlob(captured.memory)
      : run.pipeline.store.putFile(captured.file!, { move: true }),
    (e) => pipelineError(e),
  ).pipe(Effect.map((put) => put.id));

const seeLogs = (run: CommandRun, logs: CommandLogs) =>
  run.scenario === null
    ? `cairn logs ${logs.stderr.slice(0, 12)} (stderr; stdout: cairn logs ${
      logs.stdout.slice(0, 12)
    })`
    : `cairn logs ${run.scenario} ${label(run)}`;

// Files the program left in its work directory that are neither declared outputs nor
// cairn's own: listed, then removed with the scratch directory.
const leftovers = (
  workDir: string,
  outputs: CommandRun["outputs"],
  sources: ReadonlySet<string>,
): string[] => {
  const ours = new Set([
    "in",
    ...sources,
    ...Object.values(outputs).map((o) => o.path),
  ]);
  const walkInto = new Set(["out"]);
  for (const s of sources) for (let d = dirname(s); d !== "."; d = dirname(d)) walkInto.add(d);
  const found: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const entry of Deno.readDirSync(dir)) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (ours.has(path)) continue;
      if (walkInto.has(path) && entry.isDirectory) walk(`${dir}/${entry.name}`, path);
      else if (found.length < 50) found.push(entry.isDirectory ? `${path}/` : path);
    }
  };
  walk(workDir, "");
  return found.sort();
};

/** The body of a command's miss, for the step machinery's scratch directory. */
export const commandBody =
  (run: CommandRun) => (scratch: Scratch): Effect.Effect<BodyResult, PipelineError> =>
    Effect.gen(function* () {
      const { pipeline } = run;
      const runner = yield* chooseRunner(run);
      const workDir = yield* attempt(run, "make its work directory", () => scratch.make());
      for (const [name, path] of Object.entries(run.staged)) {
        yield* copyInput(
          { pipeline, name: run.step, iteration: run.iteration },
          name,
          run.inputs[name]!,
          `${workDir}/${path}`,
        );
      }
      const linked = yield* linkSources(run, workDir);
      // HOME and TMPDIR are the work directory: what a program leaves there (a cache
      // under ~, a temporary file) is listed with the files left behind.
      const env = { ...run.env, HOME: workDir, TMPDIR: workDir };
      const program = "tool" in run.program
        ? run.tools.paths[run.program.tool]!
        : "source" in run.program
        ? `${workDir}/${run.program.source}`
        : run.argv[0]!;
      const view = {
        workDir,
        sources: run.sources.map((s) => `${run.root}/${s.replace(/\/$/, "")}`),
        prefixes: run.tools.prefixes,
      };
      const name = `cairn-${Deno.pid}-${containers++}`;
      const line = commandLine(runner, view, program, run.argv, env, name);
      const prefix = Deno.stderr.isTerminal() ? `[${label(run)}] ` : "";
      const echo = (lines: readonly string[]) =>
        pipeline.progress.log(lines.map((l) => prefix + l).join("\n"));

      return yield* runChild<BodyResult, PipelineError>(
        {
          program: line.program,
          args: line.args,
          cwd: workDir,
          env,
          timeoutMs: run.timeoutMs,
          spillDir: `${pipeline.store.root}/tmp`,
          echo,
          ...(runner.kind === "container"
            ? { stop: stopContainer(runner.program, name, STOP_GRACE_MS) }
            : {}),
        },
        (end) => finish(run, runner, workDir, linked, end),
        (e) => invalid(run, `cannot start "${run.argv[0]}" (${line.program}): ${message(e)}`),
      );
    });

const finish = (
  run: CommandRun,
  runner: Runner,
  workDir: string,
  linked: ReadonlySet<string>,
  end: ChildEnd,
): Effect.Effect<BodyResult, PipelineError> =>
  Effect.gen(function* () {
    const stdout = yield* storeLog(run, end.stdout);
    // Often both are empty: one put (each put of a present object touches it).
    const sameBytes = end.stdout.bytes === 0 && end.stderr.bytes === 0;
    const logs: CommandLogs = {
      stdout,
      stderr: sameBytes ? stdout : yield* storeLog(run, end.stderr),
    };
    if (end.failure) {
      // bubblewrap and the container runtimes exit 128 + n for a program killed by
      // signal n.
      const failure = runner.kind !== "plain" && "code" in end.failure &&
          end.failure.code > 128 && SIGNALS[end.failure.code - 128]
        ? { signal: SIGNALS[end.failure.code - 128]! }
        : end.failure;
      const undeclared = unopenedPaths(
        [...end.stderr.notFound, ...end.stdout.notFound],
        { workDir, root: run.root, sources: run.sources, host: runner.kind === "plain" },
      );
      return yield* Effect.fail(
        pipelineError(
          new CommandFailed({
            step: run.step,
            iteration: run.iteration,
            end: failure,
            stderrTail: end.stderr.tail,
            stderrLines: end.stderr.lines,
            logs,
            seeLogs: seeLogs(run, logs),
            undeclared,
            runner: runner.kind,
          }),
        ),
      );
    }
    const outputs: Record<string, string> = {};
    for (const [name, output] of Object.entries(run.outputs)) {
      const path = `${workDir}/${output.path}`;
      let info: Deno.FileInfo | undefined;
      try {
        info = Deno.lstatSync(path);
      } catch {
        info = undefined;
      }
      const right = info && (output.dir ? info.isDirectory : info.isFile);
      if (!right) {
        return yield* Effect.fail(
          pipelineError(
            new CommandOutputMissing({
              step: run.step,
              iteration: run.iteration,
              output: name,
              path: output.path,
              expected: output.dir ? "a directory" : "a file",
              found: info === undefined
                ? null
                : info.isDirectory
                ? "a directory"
                : info.isSymlink
                ? "a symbolic link"
                : info.isFile
                ? "a file"
                : "something other than a file",
              seeLogs: seeLogs(run, logs),
            }),
          ),
        );
      }
      outputs[name] = path;
    }
    const left = yield* attempt(run, "list its work directory", () =>
      leftovers(workDir, run.outputs, linked));
    if (left.length > 0) {
      run.pipeline.progress.log(
        `[cairn] ${label(run)}: left behind (not declared outputs, not kept): ${left.join(", ")}`,
      );
    }
    // The sources stored now are the ones its result came from; one that differs from
    // the key's was edited while the program ran.
    const stored = yield* sourceIds(run.pipeline, run.step, run.root, run.sources, true);
    const changed = Object.keys(run.sourceKey).filter((s) =>
      stored.key[s] !== run.sourceKey[s]
    );
    if (changed.length > 0) {
      run.pipeline.progress.log(
        `[cairn] ${label(run)}: not cached: ${
          changed.join(", ")
        } changed while the program ran; its result is used but not cached, and the next run computes it afresh`,
      );
    }
    const links: ObjectId[] = [logs.stdout, logs.stderr, ...stored.objects];
    return {
      outputs,
      record: {
        command: {
          runner: runner.kind,
          ...(runner.kind === "container"
            ? { runtime: runner.runtime, image: runner.spec.image }
            : {}),
          exit: 0,
          programMs: Math.round(end.durationMs * 1000) / 1000,
          tools: run.tools.executables,
          leftovers: left,
        },
        logs: { stdout: logs.stdout, stderr: logs.stderr },
      },
      links,
      ...(changed.length > 0
        ? { uncached: `source changed while the program ran: ${changed.join(", ")}` }
        : {}),
    };
  });

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
