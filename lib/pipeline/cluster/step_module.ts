/**
 * Where a cluster runner finds the module of the step a message names: by the step's
 * address (`<module path relative to its project root>#<binding>`, the same wherever
 * the project lives) under the runner's own project — so a runner on another host
 * works in a checkout of the project at any path — and, failing that, at the absolute
 * path the pipeline's process sent (a runner on the pipeline's host started outside the
 * project, and what a message from an older pipeline relied on). Whatever module is
 * found, the runner still checks that its declaration gives the invocation's key.
 *
 * The runner's project is that of its `--module` files (the nearest directory above
 * each with a deno.json), or, with none, that of the directory it was started in.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { projectOf } from "../../identity/project.ts";

/** The module to import for a step, or why there is none here. */
export type StepModule = { readonly path: string } | { readonly missing: string };

/**
 * The project roots a runner resolves addresses against: its modules' projects, in
 * order, or the project of `cwd` when it has no modules.
 *
 * @example The project of the runner's module
 * ```ts ignore
 * runnerProjects(["/scratch/alice/proj/pipeline.ts"], "/") // ["/scratch/alice/proj"]
 * ```
 */
export const runnerProjects = (modules: readonly string[], cwd: string): string[] => {
  const roots = modules.map((m) => projectOf(resolve(cwd, m)).root);
  // projectOf starts at the file's directory: a name in `cwd` starts at `cwd`.
  return [...new Set(roots.length > 0 ? roots : [projectOf(join(cwd, "_")).root])];
};

/**
 * The module of the step at `address` under one of `roots`, else `sent` when it exists
 * here, else what was looked for and what to do.
 *
 * @example A checkout at another path
 * ```ts ignore
 * stepModule("steps/a.ts#a", ["/scratch/alice/proj"], "/home/alice/proj/steps/a.ts")
 * // { path: "/scratch/alice/proj/steps/a.ts" }
 * ```
 */
export const stepModule = (
  address: string,
  roots: readonly string[],
  sent: string,
): StepModule => {
  const at = address.lastIndexOf("#");
  const module = at > 0 ? address.slice(0, at) : "";
  const looked: string[] = [];
  if (module !== "" && !isAbsolute(module)) {
    for (const root of roots) {
      const path = resolve(root, module);
      // An address never leaves its project: one that would is no module of this one.
      if (relative(root, path).startsWith("..")) continue;
      if (existsSync(path)) return { path };
      looked.push(path);
    }
  }
  if (isAbsolute(sent) && existsSync(sent)) return { path: sent };
  // The executor names the address and says what to do (start the runner in a checkout).
  const pipelines = `${sent} (the pipeline's path)`;
  return {
    missing: looked.length === 0
      ? `its address names no module under the runner's project (${
        roots.join(", ")
      }), and ${pipelines} does not exist`
      : `its module is not here: ${looked.join(" and ")} ${
        looked.length === 1 ? "does" : "do"
      } not exist, nor does ${pipelines}`,
  };
};
