// Where a command's program runs, and the command line that starts it there:
//
// - plain: on the host, in its work directory;
// - sandbox: under bubblewrap, seeing only the system directories (read-only), its
//   work directory (inputs read-only, outputs writable), its declared sources and the
//   install prefixes of its tools (read-only), with no network and its own pid,
//   IPC and UTS namespaces — so an undeclared file cannot be read at all;
// - container: in an image (podman or docker), by image ID, with the same mounts,
//   no network and the invoking user's uid:gid.
//
// Every runner shows the work directory and the sources at their host paths, so the
// program's relative paths (`in/volumes.csv`, `py/bpr.py`) and the symbolic links
// that put the sources into the work directory mean the same everywhere.
import * as Effect from "effect/Effect";
import { type PipelineError, pipelineError, RunnerUnavailable } from "./errors.ts";
import { findOnPath, SYSTEM_DIRS } from "./command_tools.ts";

/** A container to run in. */
export interface ContainerSpec {
  /** The image, by name (`localhost/model:1`); the command runs by its ID. */
  readonly image: string;
  /** The container runtime (default `podman`). */
  readonly runtime?: "podman" | "docker";
  /** Network mode (default `none`). */
  readonly network?: string;
  /** Extra arguments to `<runtime> run`, after cairn's defaults. */
  readonly args?: readonly string[];
}

/** Which runner, with what it needs. */
export type Runner =
  | { readonly kind: "plain" }
  | { readonly kind: "sandbox"; readonly bwrap: string }
  | {
    readonly kind: "container";
    readonly runtime: string;
    readonly program: string;
    readonly imageId: string;
    readonly spec: ContainerSpec;
  };

/** What a runner shows the program. */
export interface View {
  readonly workDir: string;
  /** Absolute paths of the declared sources (read-only). */
  readonly sources: readonly string[];
  /** Directories a tool needs beyond the system's own (read-only). */
  readonly prefixes: readonly string[];
}

/** The program to start and its arguments, for `argv` run in `view`. */
export const commandLine = (
  runner: Runner,
  view: View,
  program: string,
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
  name: string,
): { program: string; args: string[] } => {
  if (runner.kind === "plain") return { program, args: argv.slice(1) };
  if (runner.kind === "sandbox") {
    return { program: runner.bwrap, args: [...bwrapArgs(view), "--", program, ...argv.slice(1)] };
  }
  const mounts = [
    "-v",
    `${view.workDir}:${view.workDir}`,
    "-v",
    `${view.workDir}/in:${view.workDir}/in:ro`,
    ...view.sources.flatMap((s) => ["-v", `${s}:${s}:ro`]),
  ];
  const envArgs = Object.entries(env).filter(([k]) => k !== "PATH").flatMap(([k, v]) => [
    "-e",
    `${k}=${v}`,
  ]);
  return {
    program: runner.program,
    args: [
      "run",
      "--rm",
      "--name",
      name,
      "--network",
      runner.spec.network ?? "none",
      "--user",
      `${Deno.uid() ?? 0}:${Deno.gid() ?? 0}`,
      ...containerDefaults(runner.runtime),
      ...(runner.spec.args ?? []),
      ...mounts,
      "-w",
      view.workDir,
      ...envArgs,
      runner.imageId,
      ...argv,
    ],
  };
};

const bwrapArgs = (view: View): string[] => {
  const args = ["--unshare-all", "--die-with-parent", "--new-session"];
  for (const dir of SYSTEM_DIRS) {
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(dir);
    } catch {
      continue;
    }
    if (info.isSymlink) args.push("--symlink", Deno.readLinkSync(dir), dir);
    else if (info.isDirectory) args.push("--ro-bind", dir, dir);
  }
  args.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp");
  for (const prefix of view.prefixes) args.push("--ro-bind", prefix, prefix);
  args.push("--bind", view.workDir, view.workDir);
  args.push("--ro-bind", `${view.workDir}/in`, `${view.workDir}/in`);
  for (const source of view.sources) args.push("--ro-bind", source, source);
  args.push("--chdir", view.workDir);
  return args;
};

// podman on a host with the hybrid cgroup layout (cgroup v1 with a v2 `unified`
// mount): crun fails there ("cgroups in hybrid mode not supported"), runc works; and
// without CAP_SYS_RESOURCE podman's default rlimits cannot be set, explicit ones can.
// `CAIRN_PODMAN_ARGS` (space-separated) replaces these defaults.
const containerDefaults = (runtime: string): string[] => {
  if (runtime !== "podman") return [];
  const given = Deno.env.get("CAIRN_PODMAN_ARGS");
  if (given !== undefined) return given.split(/\s+/).filter((a) => a !== "");
  let hybrid = false;
  try {
    hybrid = Deno.statSync("/sys/fs/cgroup/unified").isDirectory;
  } catch {
    // not the hybrid layout
  }
  if (!hybrid) return [];
  return [
    ...(findOnPath("runc", Deno.env.get("PATH") ?? "") ? ["--runtime", "runc"] : []),
    "--ulimit",
    "nofile=20000:20000",
    "--ulimit",
    "nproc=32768:32768",
  ];
};

/**
 * Stops and removes a container by name: SIGTERM, SIGKILL after `graceMs`. The
 * container is the runtime's (its daemon or conmon runs it), so signalling the
 * client's process group does not reach it, and a client killed before it cleans up
 * would leave it behind.
 */
export const stopContainer =
  (program: string, name: string, graceMs: number) => async (): Promise<void> => {
    try {
      await new Deno.Command(program, {
        args: ["rm", "--force", "--time", String(Math.ceil(graceMs / 1000)), name],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).output();
    } catch {
      // the runtime is gone: its client's process group is signalled anyway
    }
  };

let sandboxState: { bwrap: string } | { problem: string } | undefined;

/** Whether bubblewrap is installed and can start a sandbox here (probed once per process). */
export const sandboxAvailable = (): Effect.Effect<{ bwrap: string } | { problem: string }> =>
  Effect.promise(async () => {
    if (sandboxState) return sandboxState;
    const bwrap = findOnPath("bwrap", Deno.env.get("PATH") ?? "");
    if (!bwrap) {
      return sandboxState = { problem: "bubblewrap (bwrap) is not installed" };
    }
    try {
      const out = await new Deno.Command(bwrap, {
        args: ["--unshare-all", "--ro-bind", "/", "/", "--", "/bin/sh", "-c", "exit 0"],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).output();
      sandboxState = out.success ? { bwrap } : {
        problem: `bwrap cannot start a sandbox here: ${
          new TextDecoder().decode(out.stderr).trim() || `exit ${out.code}`
        }`,
      };
    } catch (e) {
      sandboxState = { problem: `bwrap cannot start: ${e instanceof Error ? e.message : e}` };
    }
    return sandboxState;
  });

const images = new Map<string, string>();

/**
 * The ID of `spec.image` in its runtime's store, resolved once per process: the
 * container runs by this ID, so what runs is what the key names even if the tag
 * moves meanwhile.
 */
export const resolveImage = (
  step: string,
  spec: ContainerSpec,
): Effect.Effect<{ runtime: string; program: string; imageId: string }, PipelineError> =>
  Effect.gen(function* () {
    const runtime = spec.runtime ?? "podman";
    const unavailable = (detail: string, fix: string) =>
      pipelineError(new RunnerUnavailable({ step, runner: `${runtime} container`, detail, fix }));
    if (runtime !== "podman" && runtime !== "docker") {
      return yield* Effect.fail(
        unavailable(
          `"${runtime}" is not a container runtime cairn knows`,
          'use "podman" or "docker"',
        ),
      );
    }
    const program = findOnPath(runtime, Deno.env.get("PATH") ?? "");
    if (!program) {
      return yield* Effect.fail(
        unavailable(
          `${runtime} is not installed (not on PATH)`,
          `install ${runtime}, or run the command without a container`,
        ),
      );
    }
    const memo = `${runtime}\0${spec.image}`;
    const known = images.get(memo);
    if (known) return { runtime, program, imageId: known };
    const out = yield* Effect.promise(() =>
      new Deno.Command(program, {
        args: ["image", "inspect", "--format", "{{.Id}}", spec.image],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output().catch((e) => e as Error)
    );
    if (out instanceof Error) {
      return yield* Effect.fail(
        unavailable(`${runtime} cannot start: ${out.message}`, `check the ${runtime} installation`),
      );
    }
    const id = new TextDecoder().decode(out.stdout).trim().replace(/^sha256:/, "");
    if (!out.success || !/^[0-9a-f]{64}$/.test(id)) {
      return yield* Effect.fail(
        unavailable(
          `image "${spec.image}" is not in ${runtime}'s store (${
            new TextDecoder().decode(out.stderr).trim() || `exit ${out.code}`
          })`,
          `build or pull it first (${runtime} images lists what is there)`,
        ),
      );
    }
    images.set(memo, id);
    return { runtime, program, imageId: id };
  });
