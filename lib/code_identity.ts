/**
 * Code identity: the part of a step's cache key that says "this is the same code".
 *
 * Default (precise): the source text of the step's `run` (inline, or the
 * declaration it names); for every identifier it references, the module-level
 * declaration it resolves to in the defining module, followed recursively through
 * that declaration's own identifiers; for an identifier imported from a local
 * module, the source of that module and of its transitive local import closure;
 * an npm (or other remote) import by its resolved specifier, e.g.
 * `npm:effect@4.1.0`. So editing one step's body in a file that defines ten
 * changes only that step's identity.
 *
 * `code: "module"` (coarse) uses the whole defining module and its closure;
 * `version: "…"` replaces the automatic identity. Paths are relative to the
 * project root (the nearest directory with a deno.json), so moving the project
 * keeps every identity. Module summaries are cached by content hash, in memory
 * and through a caller-supplied persistent cache, so a warm start parses nothing.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { dirname, relative, resolve } from "node:path";
import { fromFileUrl } from "./_paths.ts";
import { type ModuleSummary, summarizeModule } from "./_module_summary.ts";

/** Bumped when the analysis changes, so cached summaries and identities are not reused. */
export const ANALYZER_VERSION = "2";

/** Where a step was declared. */
export interface CallSite {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** A step's code identity and the units it was computed from (kept for `why`). */
export interface CodeIdentity {
  readonly mode: "auto" | "module" | "version";
  readonly identity: string;
  /** unit label (e.g. `pipeline.ts#run:L12`, `pipeline.ts#helper`, `models.ts`, `npm:effect@4.1.0`) → hash. */
  readonly units: Readonly<Record<string, string>>;
}

/** A persistent cache of module summaries by content hash. */
export interface SummaryCache {
  get(key: string): ModuleSummary | undefined;
  put(key: string, summary: ModuleSummary): void;
}

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/** The first stack frame outside this library: where `step(...)` was called. */
export const callSiteOf = (stack: string, libDir: string): CallSite | undefined => {
  for (const line of stack.split("\n").slice(1)) {
    const m = /(file:\/\/[^\s)]+):(\d+):(\d+)\)?\s*$/.exec(line);
    if (!m) continue;
    const file = fromFileUrl(m[1]!);
    if (file.startsWith(libDir + "/")) continue;
    return { file, line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
};

interface Project {
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

type Resolved = { readonly local: string } | { readonly external: string };

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

const memory = new Map<string, ModuleSummary>();
// deno-lint-ignore no-explicit-any
let parser: ((filename: string, text: string) => any) | undefined;

/** Loads the parser (once) — only when a module's summary is in no cache. */
const loadParser = async () => {
  if (!parser) parser = (await import("oxc-parser")).parseSync;
  return parser;
};

interface Source {
  readonly text: string;
  readonly hash: string;
  readonly summary: ModuleSummary;
}

const sources = new Map<string, Source>();

const sourceOf = async (path: string, cache: SummaryCache | undefined): Promise<Source> => {
  const known = sources.get(path);
  if (known) return known;
  const text = Deno.readTextFileSync(path);
  const hash = sha256(text);
  const key = `${ANALYZER_VERSION}:${hash}`;
  let summary = memory.get(key) ?? cache?.get(key);
  if (!summary) {
    summary = summarizeModule(path, text, await loadParser());
    cache?.put(key, summary);
  }
  memory.set(key, summary);
  const source = { text, hash, summary };
  sources.set(path, source);
  return source;
};

const offsetOf = (text: string, line: number, column: number): number => {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf("\n", offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  return offset + column - 1;
};

const lineOf = (text: string, offset: number): number => text.slice(0, offset).split("\n").length;

/** Options that change how identity is computed. */
export interface IdentityOptions {
  readonly version?: string;
  readonly code?: "auto" | "module";
  readonly cache?: SummaryCache;
}

/** Computes the code identity of the step declared at `site`. */
export const codeIdentity = async (
  site: CallSite,
  options: IdentityOptions = {},
): Promise<CodeIdentity> => {
  if (options.version !== undefined) {
    return {
      mode: "version",
      identity: sha256(`version\0${options.version}`),
      units: { version: options.version },
    };
  }
  const project = projectOf(site.file);
  const rel = (path: string) => relative(project.root, path) || ".";
  const units: Record<string, string> = {};

  const addModuleClosure = async (path: string): Promise<void> => {
    const stack = [path];
    while (stack.length > 0) {
      const file = stack.pop()!;
      if (units[rel(file)] !== undefined) continue;
      let source: Source;
      try {
        source = await sourceOf(file, options.cache);
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) {
          units[rel(file)] = "missing";
          continue;
        }
        throw e;
      }
      units[rel(file)] = source.hash;
      for (const spec of source.summary.sources) {
        const resolved = resolveSpecifier(spec, file, project);
        if ("local" in resolved) stack.push(resolved.local);
        else units[resolved.external] = "external";
      }
    }
  };

  const home = await sourceOf(site.file, options.cache);
  const at = offsetOf(home.text, site.line, site.column);
  const call = home.summary.calls
    .filter((c) => c.start <= at && at < c.end)
    .sort((a, b) => (a.end - a.start) - (b.end - b.start))[0];

  if (options.code === "module" || !call) {
    await addModuleClosure(site.file);
    return { mode: "module", identity: sha256(JSON.stringify(sortedEntries(units))), units };
  }

  const seen = new Set<string>();
  const pending: string[] = [];
  if (call.run.kind === "inline") {
    units[`${rel(site.file)}#run:L${lineOf(home.text, call.run.start)}`] = sha256(
      home.text.slice(call.run.start, call.run.end),
    );
    pending.push(...call.run.idents);
  } else {
    pending.push(call.run.name);
  }
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const decl = home.summary.declarations[name];
    if (decl) {
      units[`${rel(site.file)}#${name}`] = sha256(home.text.slice(decl.start, decl.end));
      pending.push(...decl.idents);
      continue;
    }
    const imported = home.summary.imports[name];
    if (!imported) continue; // a global (Math, console, ...) or a local binding
    const resolved = resolveSpecifier(imported.source, site.file, project);
    if ("local" in resolved) await addModuleClosure(resolved.local);
    else units[resolved.external] = "external";
  }
  return { mode: "auto", identity: positionFree(units), units };
};

// The run unit's label carries its line (`steps.ts#run:L12`) to point `why` at it, but
// the identity must not: an edit above a step (a comment, another step's body) moves
// its run without changing it. Fix: hash the labels with the line replaced by a fixed
// marker (":" cannot occur in a declaration's name, so it cannot collide with one).
const positionFree = (units: Record<string, string>): string =>
  sha256(JSON.stringify(sortedEntries(
    Object.fromEntries(
      Object.entries(units).map((
        [label, hash],
      ) => [label.replace(/#run:L\d+$/, "#run:inline"), hash]),
    ),
  )));

const sortedEntries = (units: Record<string, string>) =>
  Object.entries(units).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
