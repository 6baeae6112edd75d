// A command's declared tools: each is found on PATH as the program would find it, and
// the bytes of the executable it resolves to (through symbolic links) enter the key,
// through the store's stat cache; a declared version probe's output enters it too,
// run once per process for each executable. The path is kept in the run record, not
// the key: the same bytes elsewhere on another machine are the same tool.
import * as Effect from "effect/Effect";
import { dirname } from "node:path";
import { InvalidStep, type PipelineError, pipelineError } from "./errors.ts";
import type { PipelineApi } from "./pipeline.ts";

/** A declared tool: a name looked up on PATH (or an absolute path), with an optional probe. */
export type ToolSpec = string | {
  readonly name: string;
  /** A command whose output names the version (`["python3", "-c", "import numpy; print(numpy.__version__)"]`). */
  readonly version?: readonly string[];
};

/** Tools as they enter a key, and what else they tell. */
export interface ResolvedTools {
  readonly key: Record<string, string | { executable: string; version: string }>;
  /** Name → the path the program starts it by (the PATH entry, not the link's target). */
  readonly paths: Record<string, string>;
  /** Name → the file whose bytes were hashed. */
  readonly executables: Record<string, string>;
  /** Directories outside the system's own that a sandbox must show for them (install prefixes). */
  readonly prefixes: readonly string[];
}

/** Directories every runner shows: the system's own (read-only in the sandbox). */
export const SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"];

const isSystem = (path: string) => SYSTEM_DIRS.some((d) => path === d || path.startsWith(`${d}/`));

/** The name a tool is declared by. */
export const toolName = (spec: ToolSpec): string => (typeof spec === "string" ? spec : spec.name);

/** Why `spec` cannot be a tool, or undefined. */
export const toolProblem = (spec: ToolSpec): string | undefined => {
  const name = toolName(spec);
  if (typeof name !== "string" || name === "") return "a tool needs a name (`python3`)";
  if (name.includes("/") && !name.startsWith("/")) {
    return `tool "${name}" is a relative path: a program of the project is a source (declare it in \`sources\`), a tool is a name on PATH or an absolute path`;
  }
  if (typeof spec !== "string" && spec.version !== undefined) {
    if (
      !Array.isArray(spec.version) || spec.version.length === 0 ||
      !spec.version.every((a) => typeof a === "string")
    ) {
      return `the version probe of tool "${name}" must be a non-empty array of strings`;
    }
  }
  return undefined;
};

const executable = (path: string): boolean => {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0) & 0o111) !== 0;
  } catch {
    return false;
  }
};

/** Where `name` is found on `path` (a PATH value), as execvp would find it, or undefined. */
export const findOnPath = (name: string, path: string): string | undefined => {
  if (name.startsWith("/")) return executable(name) ? name : undefined;
  for (const dir of path.split(":")) {
    if (dir === "") continue;
    const candidate = `${dir}/${name}`;
    if (executable(candidate)) return candidate;
  }
  return undefined;
};

// Where each tool was found, once per process: a failed stat costs a thrown error
// (~20 µs in Deno), and a cache hit must stay cheap. The file found is hashed on every
// invocation (through the stat cache), and it is the file the program is started by,
// so a tool replaced in place is still seen; one installed meanwhile in an earlier
// PATH directory is seen by the next process.
const found = new Map<string, { path: string; real: string } | undefined>();

const locate = (name: string, path: string) => {
  const memo = `${path}\0${name}`;
  if (found.has(memo)) return found.get(memo);
  const at = findOnPath(name, path);
  let where: { path: string; real: string } | undefined;
  if (at) {
    try {
      where = { path: at, real: Deno.realPathSync(at) };
    } catch {
      where = undefined;
    }
  }
  found.set(memo, where);
  return where;
};

// The directory a tool is installed under — `/opt/conda` for `/opt/conda/bin/python`,
// since it needs its libraries — unless that directory holds the project (a tool in
// the project's own `bin/`): then only the tool's directory, or the sandbox would show
// the whole project.
const prefixOf = (file: string, root: string): string => {
  const dir = dirname(file);
  const up = /\/(?:s?bin|shims)$/.test(dir) ? dirname(dir) : dir;
  return root === up || root.startsWith(`${up}/`) ? dir : up;
};

const probes = new Map<string, string>();

const fail = (step: string, detail: string) =>
  Effect.fail(pipelineError(new InvalidStep({ step, detail })));

/** Resolves `tools` on `env.PATH`; probes run with `env`. */
export const resolveTools = (
  pipeline: PipelineApi,
  step: string,
  tools: readonly ToolSpec[],
  env: Readonly<Record<string, string>>,
  root: string,
): Effect.Effect<ResolvedTools, PipelineError> =>
  Effect.gen(function* () {
    const key: ResolvedTools["key"] = {};
    const paths: Record<string, string> = {};
    const executables: Record<string, string> = {};
    const prefixes = new Set<string>();
    const PATH = env.PATH ?? "";
    for (const spec of tools) {
      const name = toolName(spec);
      const where = locate(name, PATH);
      if (!where) {
        return yield* fail(
          step,
          `its tool "${name}" is not ${
            name.startsWith("/") ? "an executable file" : `on PATH (${PATH || "empty"})`
          }; install it, or fix PATH`,
        );
      }
      const { path: found, real } = where;
      const { id } = yield* Effect.mapError(
        pipeline.store.fileId(real),
        (e) =>
          pipelineError(
            new InvalidStep({
              step,
              detail: `cannot read its tool "${name}" (${real}): ${e.message}`,
            }),
          ),
      );
      paths[name] = found;
      executables[name] = real;
      for (const file of [found, real]) if (!isSystem(file)) prefixes.add(prefixOf(file, root));
      const probe = typeof spec === "string" ? undefined : spec.version;
      if (!probe) {
        key[name] = id;
        continue;
      }
      const memo = `${real}\0${id}\0${JSON.stringify(probe)}`;
      let version = probes.get(memo);
      if (version === undefined) {
        version = yield* runProbe(step, name, probe, env);
        probes.set(memo, version);
      }
      key[name] = { executable: id, version };
    }
    return { key, paths, executables, prefixes: [...prefixes].sort() };
  });

const runProbe = (
  step: string,
  name: string,
  probe: readonly string[],
  env: Readonly<Record<string, string>>,
) =>
  Effect.gen(function* () {
    const program = findOnPath(probe[0]!, env.PATH ?? "") ?? probe[0]!;
    const shown = probe.join(" ");
    const out = yield* Effect.tryPromise({
      try: () =>
        new Deno.Command(program, {
          args: probe.slice(1),
          env: { ...env },
          clearEnv: true,
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).output(),
      catch: (e) =>
        pipelineError(
          new InvalidStep({
            step,
            detail: `the version probe of tool "${name}" (${shown}) could not start: ${
              e instanceof Error ? e.message : e
            }`,
          }),
        ),
    });
    const decode = (b: Uint8Array) => new TextDecoder().decode(b).trim();
    if (!out.success) {
      return yield* fail(
        step,
        `the version probe of tool "${name}" (${shown}) exited with code ${out.code}: ${
          decode(out.stderr).split("\n").slice(-5).join(" / ")
        }`,
      );
    }
    return decode(out.stdout) || decode(out.stderr);
  });
