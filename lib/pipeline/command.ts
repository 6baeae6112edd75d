/**
 * `command`: an external program as a step — a Python or R script, a Java model, a
 * Fortran solver, optionally inside a container — with a key as sound as a step's.
 *
 * A command's key is everything that can change its result: its command line, with
 * inputs and outputs as paths relative to its work directory (`in/volumes.csv`,
 * `out/times.csv`, never an absolute or scratch path); the bytes of each declared
 * source (a directory as a tree); the bytes of each declared tool's executable (and a
 * version probe's output); the declared environment variables; the container image ID;
 * its config, inputs and iteration. Editing the script re-runs it; editing a file it
 * does not declare changes nothing — and under the sandbox (bubblewrap, the default
 * where it works) a program that reads such a file fails, naming it, instead of
 * producing a result whose key misses it.
 *
 * The command line is computed when the step is invoked, and exactly that command
 * line runs: so `argv` is identified by what it renders, not by its code (a refactor
 * of `argv` that renders the same command line is a hit; one that changes it re-runs).
 *
 * @module
 */
import * as Duration from "effect/Duration";
import * as Effect from "effect/Effect";
import { dirname, extname } from "node:path";
import type { Artifact } from "../model/artifact.ts";
import { callSiteOf, projectOf } from "../identity/code_identity.ts";
import { type Codec, codecOf, type InputSpec, type Optional } from "./codecs/codec.ts";
import { InvalidStep, type PipelineError, pipelineError } from "./errors.ts";
import { fromFileUrl } from "../identity/paths.ts";
import { declareStep, type Prepared, type PreparedInvocation, type Step } from "./step.ts";
import { declareStepCode } from "./step_code.ts";
import { commandBody } from "./command_body.ts";
import { type ContainerSpec, resolveImage } from "./command_runner.ts";
import { sourceIds, sourcePathProblem } from "./command_sources.ts";
import { resolveTools, toolName, toolProblem, type ToolSpec } from "./command_tools.ts";

export type { ContainerSpec, ToolSpec };

const LIB_DIR = dirname(fromFileUrl(import.meta.url));

/** Bumped when running a command changes in a way that can change its results. */
const COMMAND_FORMAT = "cairn-command/1";

/** What `argv` receives: paths relative to the work directory, the config, the iteration. */
export interface ArgvArgs<I extends Record<string, InputSpec>, O extends Record<string, Codec>, C> {
  /** Each input's path (`in/volumes.csv`); undefined for an absent optional input. */
  readonly inputs: {
    readonly [K in keyof I]: I[K] extends Optional<Codec> ? string | undefined : string;
  };
  /** Each output's path, which the program must create (`out/times.csv`). */
  readonly outputs: { readonly [K in keyof O]: string };
  /** The command's config. */
  readonly config: C;
  /** The iteration (null outside `iterate`; an iteration-invariant command may not read it). */
  readonly iteration: number | null;
}

/** A command declaration. */
export interface CommandOptions<
  I extends Record<string, InputSpec>,
  O extends Record<string, Codec>,
  C,
> {
  /** Unique, stable name (letters, digits, `_`, `-`, `.`). */
  readonly name: string;
  /** Declared inputs: each becomes a file (or, for `Dir`, a directory) under `in/`. */
  readonly inputs?: I;
  /** Declared outputs: files (or, for `Dir`, directories) the program must create. */
  readonly outputs: O;
  /** Plain data, canonicalised and hashed into the key (and given to `argv`). */
  readonly config?: C;
  /**
   * Files and directories of the project (relative to its root: the directory of the
   * nearest deno.json) whose bytes enter the key; they appear at the same paths in
   * the program's work directory.
   */
  readonly sources?: readonly string[];
  /** Programs found on PATH (or absolute paths) whose executables' bytes enter the key. */
  readonly tools?: readonly ToolSpec[];
  /** Environment variables the program sees; their values enter the key. */
  readonly env?: readonly string[];
  /** The command line: `argv[0]` is a declared tool or source (or, in a container, the image's). */
  readonly argv: readonly string[] | ((args: ArgvArgs<I, O, C>) => readonly string[]);
  /**
   * Stop the program after this long: `"2h"`, `"30s"`, `"500ms"`, a number of
   * milliseconds, or an effect duration string (`"2 hours"`).
   */
  readonly timeout?: number | string;
  /**
   * Run under the sandbox (`true`: fail where it cannot start) or on the host
   * (`false`); default: the pipeline's `sandbox` option (`"auto"`: the sandbox where
   * bubblewrap works).
   */
  readonly sandbox?: boolean;
  /** Run in a container image (`podman` by default); its image ID enters the key. */
  readonly container?: ContainerSpec;
  /** Bump to re-run every invocation (what the key cannot see, such as a remote service). */
  readonly version?: string;
  /** Leave the iteration index out of the key (`argv` never reads `iteration`). */
  readonly iterationInvariant?: boolean;
  /** `eager`: re-check a cache hit's outputs before reuse. */
  readonly validate?: "lazy" | "eager";
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.\-]*$/;
const SHORT_DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 };

const timeoutMs = (timeout: CommandOptions<never, never, unknown>["timeout"]): number | string => {
  if (timeout === undefined) return Number.NaN;
  if (typeof timeout === "string") {
    const short = SHORT_DURATION.exec(timeout.trim());
    if (short) return Number(short[1]) * UNIT_MS[short[2]!]!;
  }
  const duration = Duration.fromInput(timeout as Duration.Input);
  if (duration._tag === "None") {
    return `timeout ${
      JSON.stringify(timeout)
    } is not a duration: write "2h", "30s", "500ms" or a number of milliseconds`;
  }
  const ms = Duration.toMillis(duration.value);
  return ms > 0 && Number.isFinite(ms)
    ? ms
    : `timeout ${JSON.stringify(timeout)} must be positive and finite`;
};

// Everything wrong with a declaration, found when it is made and reported (typed) when
// it is first invoked.
const problemsOf = (
  options: CommandOptions<never, never, unknown>,
  timeout: number | string,
): string[] => {
  const problems: string[] = [];
  for (
    const [kind, specs] of [["input", options.inputs ?? {}], [
      "output",
      options.outputs ?? {},
    ]] as const
  ) {
    for (const name of Object.keys(specs)) {
      if (!NAME.test(name)) {
        problems.push(`${kind} name "${name}" is not a file name (letters, digits, _ - .)`);
      }
    }
  }
  if (typeof options.argv !== "function" && !Array.isArray(options.argv)) {
    problems.push("argv must be an array of strings or a function returning one");
  }
  for (const source of options.sources ?? []) {
    const problem = typeof source === "string"
      ? sourcePathProblem(source)
      : "sources are paths (strings)";
    if (problem) problems.push(problem);
  }
  for (const tool of options.tools ?? []) {
    const problem = toolProblem(tool);
    if (problem) problems.push(problem);
  }
  if (options.container && (options.tools ?? []).length > 0) {
    problems.push(
      "it runs in a container, whose image ID identifies its programs: tools are looked up on the host, so remove `tools`",
    );
  }
  if (options.container && options.sandbox === true) {
    problems.push("it runs in a container, which is its sandbox: remove `sandbox: true`");
  }
  if (options.container && typeof options.container.image !== "string") {
    problems.push("container.image must name an image (`localhost/model:1`)");
  }
  if (typeof timeout === "string") problems.push(timeout);
  return problems;
};

const noDetails: Prepared["details"] = {};

const safeExtension = (name: string): string => {
  const ext = extname(name);
  return /^\.[A-Za-z0-9_\-]{1,16}$/.test(ext) ? ext : "";
};

/**
 * Declares a command: an external program as a step.
 *
 * @example A Python script as a step
 * ```ts
 * import assert from "node:assert/strict"
 * import { command, File, Table } from "cairn"
 *
 * const congestion = command({
 *   name: "congestion",
 *   inputs: { volumes: Table.csv, network: File },
 *   outputs: { times: Table.csv, report: File },
 *   config: { alpha: 0.15, beta: 4 },
 *   sources: ["py/bpr.py", "py/lib/"], // their bytes enter the key
 *   tools: ["python3"], // the executable's bytes enter the key
 *   env: ["OMP_NUM_THREADS"],
 *   argv: ({ inputs, outputs, config }) => [
 *     "python3", "py/bpr.py", "--volumes", inputs.volumes, "--network", inputs.network,
 *     "--alpha", String(config.alpha), "--out", outputs.times, "--report", outputs.report,
 *   ],
 *   timeout: "2h",
 * })
 * // Invoked like any step: congestion({ volumes, network }) gives { times, report }.
 * assert.equal(congestion.stepName, "congestion")
 * ```
 */
export const command = <
  const I extends Record<string, InputSpec> = Record<never, never>,
  const O extends Record<string, Codec> = Record<string, Codec>,
  C = undefined,
>(options: CommandOptions<I, O, C>): Step<I, O> => {
  const site = callSiteOf(new Error().stack ?? "", LIB_DIR);
  const root = site ? projectOf(site.file).root : Deno.cwd();
  const timeout = timeoutMs(options.timeout as never);
  const problems = problemsOf(options as never, timeout);
  const inputSpecs: Record<string, InputSpec> = options.inputs ?? {};
  const outputSpecs: Record<string, Codec> = options.outputs;
  const sources = [...(options.sources ?? [])];
  const tools = [...(options.tools ?? [])];

  const prepare = (inv: PreparedInvocation): Effect.Effect<Prepared, PipelineError> =>
    Effect.gen(function* () {
      const invalid = (detail: string) =>
        pipelineError(new InvalidStep({ step: options.name, detail }));
      if (problems.length > 0) return yield* Effect.fail(invalid(problems.join("; ")));

      // Where each input and output is in the work directory.
      const staged: Record<string, string> = {};
      const argvInputs: Record<string, string | undefined> = {};
      for (const [name, spec] of Object.entries(inputSpecs)) {
        const artifact: Artifact | undefined = inv.inputs[name];
        if (!artifact) {
          argvInputs[name] = undefined;
          continue;
        }
        const codec = codecOf(spec);
        const ext = codec.extension ?? (codec._tag === "path" ? safeExtension(artifact.name) : "");
        argvInputs[name] = staged[name] = `in/${name}${ext}`;
      }
      const outputs: Record<string, { path: string; dir: boolean }> = {};
      for (const [name, codec] of Object.entries(outputSpecs)) {
        outputs[name] = {
          path: `out/${name}${codec.extension ?? ""}`,
          dir: codec._tag === "path" && codec.kind === "tree",
        };
      }

      // The command line, rendered once: what runs is what the key holds.
      let iterationRead = false;
      const argvArgs = {
        inputs: argvInputs,
        outputs: Object.fromEntries(Object.entries(outputs).map(([k, o]) => [k, o.path])),
        config: options.config,
        get iteration() {
          iterationRead = true;
          return inv.iteration;
        },
      } as unknown as ArgvArgs<I, O, C>;
      const rendered = yield* Effect.try({
        try: () => (typeof options.argv === "function" ? options.argv(argvArgs) : options.argv),
        catch: (e) =>
          invalid(`its argv function threw: ${e instanceof Error ? e.message : String(e)}`),
      });
      if (iterationRead && inv.invariantAt !== undefined) {
        return yield* Effect.fail(
          invalid(
            `it is declared iterationInvariant: true, but its argv read iteration (in iteration ${inv.invariantAt}), so one iteration's result would be reused for every other; remove iterationInvariant, or stop reading iteration`,
          ),
        );
      }
      if (!Array.isArray(rendered) || rendered.length === 0) {
        return yield* Effect.fail(invalid("argv must give a non-empty array of strings"));
      }
      for (const [i, arg] of rendered.entries()) {
        if (typeof arg !== "string") {
          return yield* Effect.fail(
            invalid(
              `argv[${i}] is ${
                arg === undefined ? "undefined (an absent optional input?)" : `a ${typeof arg}`
              }; give strings (String(config.alpha))`,
            ),
          );
        }
        if (arg.includes("\0")) {
          return yield* Effect.fail(invalid(`argv[${i}] contains a NUL character`));
        }
      }
      const argv = [...rendered] as string[];

      // The environment the program sees: PATH and the declared variables (and
      // PYTHONDONTWRITEBYTECODE: Python's byte-code caches would land in the sources).
      const env: Record<string, string> = {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        PYTHONDONTWRITEBYTECODE: "1",
      };
      for (const name of options.env ?? []) {
        const value = Deno.env.get(name);
        if (value !== undefined) env[name] = value;
      }

      const src = yield* sourceIds(inv.pipeline, options.name, root, sources, false);
      const resolved = yield* resolveTools(inv.pipeline, options.name, tools, env, root);

      let program: { tool: string } | { source: string } | { image: true };
      if (options.container) program = { image: true };
      else {
        const first = argv[0]!;
        const rel = first.replace(/^\.\//, "");
        const tool = tools.map(toolName).find((t) => t === first);
        if (tool) program = { tool };
        else if (
          first.includes("/") && !first.startsWith("/") &&
          sources.some((s) =>
            rel === s.replace(/\/$/, "") || (s.endsWith("/") && rel.startsWith(s)) ||
            rel.startsWith(`${s}/`)
          )
        ) {
          program = { source: rel };
        } else {
          return yield* Effect.fail(
            invalid(
              first.includes("/")
                ? `argv[0] "${first}" is not among its sources or tools, so its bytes would not be in the key; declare it in \`sources\` (a program of the project) or \`tools\` (an absolute path)`
                : `argv[0] "${first}" is not among its tools, so its executable would not be in the key; add "${first}" to \`tools\``,
            ),
          );
        }
      }

      const image = options.container
        ? yield* resolveImage(options.name, options.container)
        : undefined;

      return {
        key: {
          argv,
          files: Object.fromEntries<string>([
            ...Object.entries(staged),
            ...Object.entries(outputs).map(([k, o]) => [k, o.path] as const),
          ]),
          sources: src.key,
          tools: resolved.key,
          image: image?.imageId ?? null,
        },
        details: Object.keys(src.files).length > 0 ? { sourceFiles: src.files } : noDetails,
        body: commandBody({
          pipeline: inv.pipeline,
          step: options.name,
          iteration: inv.iteration,
          scenario: inv.scenario,
          inputs: inv.inputs,
          staged,
          outputs,
          argv,
          program,
          env,
          root,
          sources,
          sourceKey: src.key,
          tools: resolved,
          placement: options.container && image
            ? { container: options.container, ...image }
            : { sandbox: options.sandbox ?? inv.pipeline.sandbox },
          timeoutMs: Number.isNaN(timeout) ? undefined : timeout as number,
        }),
      };
    });

  return declareStep<I, O>({
    name: options.name,
    inputSpecs,
    outputSpecs,
    config: options.config,
    env: options.env ?? [],
    iterationInvariant: options.iterationInvariant ?? false,
    validate: options.validate,
    site,
    // The command is identified by what argv renders, not by its code: the code part
    // is the command format's version (and the user's `version`). declareStepCode in
    // version mode still reads the declaration for the step's address.
    code: declareStepCode({
      name: options.name,
      version: options.version === undefined
        ? COMMAND_FORMAT
        : `${COMMAND_FORMAT}\0${options.version}`,
    }, site),
    sameness: site
      ? `command at ${site.file}:${site.line}:${site.column}`
      : `command ${options.name}`,
    body: { kind: "prepared", prepare },
  });
};
