/**
 * Code identity: the part of a step's cache key that says "this is the same code".
 *
 * Default (precise): the syntax of the step's `run` (inline, or the declaration it
 * names); for every identifier it references, the declaration that identifier
 * resolves to — in the defining module, or, for an identifier imported from a
 * local module, in the module that declares it (through re-exports and the
 * module's own imports), followed recursively through each declaration's own
 * identifiers; top-level statements of those modules that touch a used name
 * (`table.set(…)`); an npm (or other remote) import by its resolved specifier,
 * e.g. `npm:effect@4.1.0`. Declarations are identified by their syntax tree, so
 * comments and formatting never count; editing one helper re-runs only the steps
 * that reach it.
 *
 * Where the analysis cannot tell which declarations are used — a namespace import
 * used as a value, `export *` chains it cannot follow, side-effect imports,
 * `import()` — the whole module and its local import closure count (the rule of
 * `code: "module"`), and the fallback is reported (`CAIRN_DEBUG=cache`).
 *
 * The identity is computed when the step is declared, from the sources as this
 * process read them then (see `_sources.ts`). `version: "…"` replaces it. A `run`
 * that reads a binding of an enclosing function (a factory's parameter) has no
 * identity that covers the binding's value: the step is refused (`captures`).
 * Paths are relative to the project root (the nearest directory with a deno.json),
 * so moving the project keeps every identity.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { relative } from "node:path";
import { fromFileUrl } from "./paths.ts";
import type { ModuleSummary, Span, StepCall } from "./module_summary.ts";
import { type Project, projectOf, resolveSpecifier } from "./project.ts";
import { ANALYZER_VERSION, type Source, sourceOf } from "./sources.ts";

export { ANALYZER_VERSION };
export { projectOf, resolveSpecifier };

/** Where a step was declared. */
export interface CallSite {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** A step's code identity and the units it was computed from (kept for `why`). */
export interface CodeIdentity {
  /** How it was computed: precise, the whole module, or an explicit version. */
  readonly mode: "auto" | "module" | "version";
  /** The hash that enters the cache key. */
  readonly identity: string;
  /** unit label (e.g. `pipeline.ts#run:L12`, `model.ts#loadLinks`, `npm:effect@4.1.0`) → hash. */
  readonly units: Readonly<Record<string, string>>;
}

/** A unit identified by the whole-module rule, and why. */
export interface Fallback {
  readonly unit: string;
  readonly reason: string;
}

/** What declaring a step establishes about its code. */
export interface DeclaredCode {
  readonly identity: CodeIdentity;
  /** Absolute paths of the files the identity was computed from. */
  readonly files: readonly string[];
  readonly fallbacks: readonly Fallback[];
  /** Identifiers `run` reads from an enclosing function or block (the step is refused). */
  readonly captures: readonly string[];
  /**
   * The step's address: the defining module's project-relative path and the name the
   * step is bound to at module level (`steps/logsums.ts#logsums`), or null for a step
   * made in a function at run time.
   */
  readonly address: string | null;
}

/** Options that change how identity is computed. */
export interface IdentityOptions {
  readonly version?: string;
  readonly code?: "auto" | "module";
}

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/** The first stack frame outside this library: where `step(...)` was called. */
export const callSiteOf = (stack: string, libDir: string): CallSite | undefined => {
  for (const line of stack.split("\n").slice(1)) {
    const m = /(file:\/\/[^\s)]+):(\d+):(\d+)\)?\s*$/.exec(line);
    if (!m) continue;
    // A documentation example runs as a module named after its file with a fragment
    // (`step.ts#142-166.ts`): user code, though it lives in the library's own file.
    const example = m[1]!.includes("#");
    const file = fromFileUrl(m[1]!.split("#")[0]!);
    if (file.startsWith(libDir + "/") && !example) continue;
    return { file, line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
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

// The innermost step call around the place a stack trace gave.
const callAt = (source: Source, site: CallSite): StepCall | undefined => {
  const at = offsetOf(source.text, site.line, site.column);
  return source.summary().calls
    .filter((c) => c.start <= at && at < c.end)
    .sort((a, b) => (a.end - a.start) - (b.end - b.start))[0];
};

// Accumulates one identity: its units, the files it read and where it fell back.
class Walk {
  readonly units: Record<string, string> = {};
  readonly files = new Set<string>();
  readonly fallbacks: Fallback[] = [];
  readonly #project: Project;
  readonly #resolved = new Set<string>();
  readonly #used = new Map<string, Set<string>>();
  readonly #touched = new Set<string>();
  readonly #whole = new Set<string>();

  constructor(project: Project) {
    this.#project = project;
  }

  rel(path: string): string {
    return relative(this.#project.root, path) || ".";
  }

  source(path: string): Source {
    const source = sourceOf(path);
    this.files.add(path);
    return source;
  }

  /** The module at `path` and its local import closure, whole. */
  whole(path: string, reason?: string): void {
    if (reason) this.fallbacks.push({ unit: this.rel(path), reason });
    const stack = [path];
    while (stack.length > 0) {
      const file = stack.pop()!;
      if (this.#whole.has(file)) continue;
      this.#whole.add(file);
      const source = this.#parsed(file);
      if (!source) continue;
      const summary = source.summary();
      this.units[this.rel(file)] = summary.hash;
      for (const spec of summary.sources) {
        const target = resolveSpecifier(spec, file, this.#project);
        if ("local" in target) stack.push(target.local);
        else this.units[target.external] = "external";
      }
    }
  }

  /** The identifiers, member uses and imports of `span`, read in module `path`. */
  span(path: string, summary: ModuleSummary, span: Span): void {
    for (const ident of span.idents) {
      const members = span.members[ident];
      const imported = summary.imports[ident];
      if (members && imported?.imported === "*" && !(ident in summary.declarations)) {
        for (const member of members) this.imported(path, { ...imported, imported: member });
      } else this.name(path, summary, ident);
    }
    for (const spec of span.dynamicImports) {
      const target = resolveSpecifier(spec, path, this.#project);
      if ("local" in target) this.whole(target.local, `import("${spec}") in ${this.rel(path)}`);
      else this.units[target.external] = "external";
    }
    if (span.computedImport) {
      this.whole(path, `an import() with a computed specifier in ${this.rel(path)}`);
    }
  }

  /** Identifier `name` as module `path` sees it. */
  name(path: string, summary: ModuleSummary, name: string): void {
    const key = `${path}\0${name}`;
    if (this.#resolved.has(key)) return;
    this.#resolved.add(key);
    const decl = summary.declarations[name];
    if (decl) {
      this.#useName(path, summary, name);
      this.units[`${this.rel(path)}#${name}`] = decl.hash;
      return this.span(path, summary, decl);
    }
    const imported = summary.imports[name];
    if (!imported) return; // a global (Math, console, …)
    if (imported.imported === "*") {
      return this.imported(path, imported, `namespace import "${name}" is used as a value`);
    }
    this.imported(path, imported);
  }

  /** What `import { imported } from source` in module `path` resolves to. */
  imported(
    path: string,
    imp: { readonly source: string; readonly imported: string },
    wholeReason?: string,
  ): void {
    const target = resolveSpecifier(imp.source, path, this.#project);
    if (!("local" in target)) {
      this.units[target.external] = "external";
      return;
    }
    if (wholeReason) return this.whole(target.local, `${wholeReason} in ${this.rel(path)}`);
    this.exported(target.local, imp.imported, new Set());
  }

  /** Exported name `name` of the module at `path`. */
  exported(path: string, name: string, seen: Set<string>): void {
    const source = this.#parsed(path);
    if (!source) return;
    const summary = source.summary();
    this.touch(path, summary);
    const found = summary.exports[name];
    if (found && "local" in found) return this.name(path, summary, found.local);
    if (found) {
      return this.imported(
        path,
        found,
        found.imported === "*" ? `"export * as ${name}"` : undefined,
      );
    }
    // Not exported by name: one of the `export *` modules may provide it.
    const key = `${path}\0${name}`;
    if (seen.has(key)) return;
    seen.add(key);
    for (const spec of summary.exportAll) {
      const target = resolveSpecifier(spec, path, this.#project);
      if (!("local" in target)) {
        return this.whole(path, `"${name}" may come from "export * from '${spec}'"`);
      }
      if (this.#provides(target.local, name, new Set())) {
        return this.exported(target.local, name, seen);
      }
    }
    this.whole(path, `"${name}" is not among its exports`);
  }

  // The source at `path` when it is code that parses; else the file counts whole.
  #parsed(path: string): Source | undefined {
    let source: Source;
    try {
      source = this.source(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        this.units[this.rel(path)] = "missing";
        return undefined;
      }
      throw e;
    }
    if (source.parseable) return source;
    this.units[this.rel(path)] = source.hash;
    return undefined;
  }

  #provides(path: string, name: string, seen: Set<string>): boolean {
    if (seen.has(path)) return false;
    seen.add(path);
    let summary: ModuleSummary;
    try {
      const source = sourceOf(path);
      if (!source.parseable) return false;
      summary = source.summary();
    } catch {
      return false;
    }
    if (name in summary.exports) return true;
    return summary.exportAll.some((spec) => {
      const target = resolveSpecifier(spec, path, this.#project);
      return "local" in target && this.#provides(target.local, name, seen);
    });
  }

  /** A module first used (the step's own, or for a declaration): its side-effect imports count whole. */
  touch(path: string, summary: ModuleSummary): void {
    if (this.#touched.has(path)) return;
    this.#touched.add(path);
    for (const spec of summary.sideEffects) {
      const target = resolveSpecifier(spec, path, this.#project);
      if ("local" in target) {
        this.whole(target.local, `side-effect import "${spec}" in ${this.rel(path)}`);
      } else this.units[target.external] = "external";
    }
  }

  // A declaration of `path` is used: top-level statements that touch it count too.
  #useName(path: string, summary: ModuleSummary, name: string): void {
    this.touch(path, summary);
    let used = this.#used.get(path);
    if (!used) this.#used.set(path, used = new Set());
    used.add(name);
    for (const effect of summary.effects) {
      const label = `${this.rel(path)}#effect:${effect.hash.slice(0, 12)}`;
      if (label in this.units || !effect.idents.includes(name)) continue;
      this.units[label] = effect.hash;
      this.span(path, summary, effect);
    }
  }
}

/**
 * Establishes the code identity of the step declared at `site`, reading the sources
 * now (call it while the step is declared).
 *
 * @example
 * ```ts ignore
 * const code = declareCode({ file: "/project/steps.ts", line: 12, column: 20 }, {})
 * code.identity.units // { "steps.ts#run:L14": "…", "model.ts#loadLinks": "…" }
 * ```
 */
export const declareCode = (site: CallSite, options: IdentityOptions = {}): DeclaredCode => {
  if (options.version !== undefined) {
    return {
      identity: {
        mode: "version",
        identity: sha256(`version\0${options.version}`),
        units: { version: options.version },
      },
      files: [],
      fallbacks: [],
      captures: [],
      address: addressOf(site),
    };
  }
  const project = projectOf(site.file);
  const walk = new Walk(project);
  const home = walk.source(site.file);
  const summary = home.summary();
  const call = callAt(home, site);
  const captures = call?.captures ?? [];
  const address = call?.binding ? `${walk.rel(site.file)}#${call.binding}` : null;

  if (options.code === "module" || !call) {
    walk.whole(
      site.file,
      call ? undefined : "the step's options are not an object literal with `run`",
    );
    return {
      identity: {
        mode: "module",
        identity: sha256(JSON.stringify(sortedEntries(walk.units))),
        units: walk.units,
      },
      files: [...walk.files],
      fallbacks: walk.fallbacks,
      captures,
      address,
    };
  }
  const rel = walk.rel(site.file);
  walk.touch(site.file, summary);
  if (call.run.kind === "inline") {
    walk.units[`${rel}#run:L${call.run.line}`] = call.run.hash;
    walk.span(site.file, summary, call.run);
  } else {
    walk.name(site.file, summary, call.run.name);
  }
  return {
    identity: { mode: "auto", identity: positionFree(walk.units), units: walk.units },
    files: [...walk.files],
    fallbacks: walk.fallbacks,
    captures,
    address,
  };
};

// A versioned step's address still comes from its declaration, when it can be read.
const addressOf = (site: CallSite): string | null => {
  if (!site.file) return null;
  try {
    const call = callAt(sourceOf(site.file), site);
    if (!call?.binding) return null;
    return `${relative(projectOf(site.file).root, site.file)}#${call.binding}`;
  } catch {
    return null;
  }
};

/**
 * The code identity of the step declared at `site` (see {@linkcode declareCode}).
 *
 * @example
 * ```ts ignore
 * codeIdentity({ file: "/project/steps.ts", line: 12, column: 20 }).mode // "auto"
 * ```
 */
export const codeIdentity = (site: CallSite, options: IdentityOptions = {}): CodeIdentity =>
  declareCode(site, options).identity;

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
