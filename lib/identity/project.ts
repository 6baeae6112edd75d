// The project a source file belongs to — the nearest directory with a deno.json(c),
// its import map and its lock file — and how an import specifier resolves in it: to
// a local file (whose code enters identities) or to an external package identity
// (`npm:effect@4.1.0`, whose pinned version does).
import { dirname, resolve } from "node:path";
import { fromFileUrl } from "./paths.ts";

/** A project: its root, import map and locked package versions. */
export interface Project {
  readonly root: string;
  readonly imports: Readonly<Record<string, string>>;
  readonly lockVersions: Readonly<Record<string, string>>;
}

const projects = new Map<string, Project>();

const readJson = (path: string): Record<string, unknown> | undefined => {
  try {
    // deno.jsonc may hold comments; strip whole-line and trailing // comments conservatively.
    const text = Deno.readTextFileSync(path).replace(/^\s*\/\/.*$/gm, "");
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** The project a file belongs to: nearest ancestor with deno.json(c), its import map and lock. */
export const projectOf = (file: string): Project => {
  let dir = dirname(file);
  for (;;) {
    const cached = projects.get(dir);
    if (cached) return cached;
    for (const name of ["deno.json", "deno.jsonc"]) {
      const config = readJson(`${dir}/${name}`);
      if (!config) continue;
      const lock = readJson(`${dir}/deno.lock`);
      const project: Project = {
        root: dir,
        imports: (config.imports as Record<string, string> | undefined) ?? {},
        lockVersions: (lock?.specifiers as Record<string, string> | undefined) ?? {},
      };
      projects.set(dir, project);
      return project;
    }
    const parent = dirname(dir);
    if (parent === dir) {
      const project: Project = { root: dirname(file), imports: {}, lockVersions: {} };
      projects.set(dirname(file), project);
      return project;
    }
    dir = parent;
  }
};

/** A specifier resolved: a local file or an external package. */
export type Resolved = { readonly local: string } | { readonly external: string };

const isLocalTarget = (target: string) =>
  target.startsWith("./") || target.startsWith("../") || target.startsWith("/");

/** Resolves an import specifier to a local file or an external package identity. */
export const resolveSpecifier = (
  specifier: string,
  fromFile: string,
  project: Project,
): Resolved => {
  if (specifier.startsWith("./") || specifier.startsWith("../")) {
    return { local: resolve(dirname(fromFile), specifier) };
  }
  if (specifier.startsWith("file://")) return { local: fromFileUrl(specifier) };
  if (specifier.startsWith("/")) return { local: specifier };
  let target: string | undefined = project.imports[specifier];
  let rest = "";
  if (target === undefined) {
    let best = "";
    for (const key of Object.keys(project.imports)) {
      if (key.endsWith("/") && specifier.startsWith(key) && key.length > best.length) best = key;
    }
    if (best) {
      target = project.imports[best]!;
      rest = specifier.slice(best.length);
    }
  }
  if (target !== undefined && isLocalTarget(target)) {
    return { local: resolve(project.root, target + rest) };
  }
  const external = (target ?? specifier).replace(/^npm:\//, "npm:").replace(/\/$/, "");
  const pinned = project.lockVersions[external];
  return { external: pinned && !external.endsWith(pinned) ? `${external}=${pinned}` : external };
};
