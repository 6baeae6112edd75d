// What code identity needs to know of one module, computed from its source with
// a real TypeScript parser (oxc-parser) and cached by the source's content hash.
//
// Free identifiers are found with a scope walk: names bound by parameters,
// var/let/const/function/class declarations, catch clauses and imports inside
// the analysed code are not free. The walk errs on the side of "free": anything
// it does not recognise as a binding counts as a reference, which at worst pulls
// an extra declaration into an identity (a needless re-run), never leaves one out
// (a false cache hit).
//
// Every span is identified by a hash of its syntax tree, not of its text: positions,
// comments, parentheses and the quoting of literals are left out, so reformatting or
// commenting code changes no identity. Type annotations inside a span stay in (a
// conservative choice: a type edit there re-runs the step).

/** A span of the source and what it references. */
export interface Span {
  /** SHA-256 of the span's normalised syntax tree. */
  readonly hash: string;
  readonly line: number;
  /** Free identifiers, sorted. */
  readonly idents: readonly string[];
  /** Free identifiers used only as `x.name` (static member access): x → the names. */
  readonly members: Readonly<Record<string, readonly string[]>>;
  /** Literal specifiers of `import("…")` inside the span. */
  readonly dynamicImports: readonly string[];
  /** True when the span has an `import()` whose specifier is computed. */
  readonly computedImport: boolean;
}

/** How a step call's `run` property is written. */
export type RunShape =
  | ({ readonly kind: "inline" } & Span)
  | { readonly kind: "identifier"; readonly name: string };

/** Where an exported name comes from. */
export type ExportSource =
  | { readonly local: string }
  | { readonly source: string; readonly imported: string };

/** A call whose first argument is an object literal with a `run` (or a command's `argv`) property. */
export interface StepCall {
  readonly start: number;
  readonly end: number;
  readonly run: RunShape;
  /**
   * Identifiers `run` reads that are bound by an enclosing function or block rather
   * than at module level (a factory's parameter, a loop variable): their values are
   * not in the source, so no identity can include them.
   */
  readonly captures: readonly string[];
  /**
   * The module-level `const` this call initialises (`export const logsums = step(…)`),
   * if any: with the module's path, the step's address, by which another process that
   * imports the module finds the same step.
   */
  readonly binding?: string;
}

/** A module's imports, exports, top-level declarations and `step({ run })`-shaped calls. */
export interface ModuleSummary {
  /** local name → where it comes from (`imported` is "default", "*" or the exported name). */
  readonly imports: Readonly<
    Record<string, { readonly source: string; readonly imported: string }>
  >;
  /** Every module specifier this module imports or re-exports from (runtime imports only). */
  readonly sources: readonly string[];
  /** Specifiers imported for their side effects only (`import "../setup.ts"`). */
  readonly sideEffects: readonly string[];
  /** exported name → its local binding or the module it is re-exported from. */
  readonly exports: Readonly<Record<string, ExportSource>>;
  /** Specifiers of `export * from "…"`. */
  readonly exportAll: readonly string[];
  /** Top-level declared name → its declaration. */
  readonly declarations: Readonly<Record<string, Span>>;
  /** Top-level statements that are not declarations (`table.set(…)`, `if (…) …`). */
  readonly effects: readonly Span[];
  readonly calls: readonly StepCall[];
  /** Hash of the whole module's normalised syntax tree (for the whole-module rule). */
  readonly hash: string;
}

// deno-lint-ignore no-explicit-any
type Node = any;

/** What the walk needs of a parser (oxc-parser's `parseSync`) and of SHA-256. */
export interface SummaryTools {
  readonly parse: (
    filename: string,
    text: string,
    options: { readonly preserveParens: boolean },
  ) => { program: Node; errors: readonly { message: string }[] };
  readonly sha256: (text: string) => string;
}

const SKIP_KEYS = new Set([
  "type",
  "start",
  "end",
  "loc",
  "range",
  "typeAnnotation",
  "returnType",
  "typeParameters",
  "typeArguments",
  "superTypeArguments",
  "implements",
  "decorators",
]);
const TS_EXPRESSIONS = new Set([
  "TSAsExpression",
  "TSSatisfiesExpression",
  "TSNonNullExpression",
  "TSTypeAssertion",
  "TSInstantiationExpression",
]);
const FUNCTIONS = new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression"]);

type Scope = ReadonlySet<string>;

const isBound = (scopes: readonly Scope[], name: string) => scopes.some((s) => s.has(name));

// What a walk over some code collects.
interface Collector {
  readonly idents: Set<string>;
  /** Idents used other than as the object of a static member access. */
  readonly direct: Set<string>;
  readonly members: Map<string, Set<string>>;
  readonly dynamicImports: Set<string>;
  computedImport: boolean;
  /** Called at every call expression with the scopes around it. */
  readonly onCall?: (call: Node, scopes: readonly Scope[]) => void;
}

const collector = (onCall?: Collector["onCall"]): Collector => ({
  idents: new Set(),
  direct: new Set(),
  members: new Map(),
  dynamicImports: new Set(),
  computedImport: false,
  ...(onCall ? { onCall } : {}),
});

// Names declared with var anywhere in a function body (not inside nested functions).
const hoistedVars = (node: Node, out: Set<string>): void => {
  if (node === null || typeof node !== "object") return;
  if (Array.isArray(node)) return node.forEach((n) => hoistedVars(n, out));
  if (FUNCTIONS.has(node.type) || node.type?.startsWith("TS")) return;
  if (node.type === "VariableDeclaration" && node.kind === "var") {
    for (const d of node.declarations) bindingNames(d.id, out);
  }
  for (const key in node) if (!SKIP_KEYS.has(key)) hoistedVars(node[key], out);
};

// Names a block's own statements declare (let, const, class, function).
const blockBindings = (statements: readonly Node[]): Set<string> => {
  const out = new Set<string>();
  for (const st of statements) {
    const decl = st?.type === "ExportNamedDeclaration" || st?.type === "ExportDefaultDeclaration"
      ? st.declaration
      : st;
    if (decl?.type === "VariableDeclaration" && decl.kind !== "var") {
      for (const d of decl.declarations) bindingNames(d.id, out);
    } else if (
      (decl?.type === "FunctionDeclaration" || decl?.type === "ClassDeclaration") && decl.id
    ) {
      out.add(decl.id.name);
    }
  }
  return out;
};

// References inside a binding pattern: default values and computed keys.
const patternRefs = (pattern: Node, scopes: readonly Scope[], out: Collector): void => {
  if (!pattern) return;
  switch (pattern.type) {
    case "ObjectPattern":
      for (const p of pattern.properties) {
        if (p.type === "RestElement") patternRefs(p.argument, scopes, out);
        else {
          if (p.computed) refs(p.key, scopes, out);
          patternRefs(p.value, scopes, out);
        }
      }
      return;
    case "ArrayPattern":
      for (const e of pattern.elements) patternRefs(e, scopes, out);
      return;
    case "RestElement":
      return patternRefs(pattern.argument, scopes, out);
    case "AssignmentPattern":
      patternRefs(pattern.left, scopes, out);
      return refs(pattern.right, scopes, out);
    case "TSParameterProperty":
      return patternRefs(pattern.parameter, scopes, out);
    case "Identifier":
      return;
    default:
      return refs(pattern, scopes, out); // a member expression target, e.g. in for (a.b of c)
  }
};

const useIdent = (name: string, scopes: readonly Scope[], out: Collector, member?: string) => {
  if (isBound(scopes, name)) return;
  out.idents.add(name);
  if (member === undefined) out.direct.add(name);
  else {
    let names = out.members.get(name);
    if (!names) out.members.set(name, names = new Set());
    names.add(member);
  }
};

// Collects the free identifiers of `node` given the enclosing scopes.
const refs = (node: Node, scopes: readonly Scope[], out: Collector): void => {
  if (node === null || typeof node !== "object") return;
  if (Array.isArray(node)) {
    for (const child of node) refs(child, scopes, out);
    return;
  }
  const type: string | undefined = node.type;
  if (type === undefined) {
    for (const key in node) if (!SKIP_KEYS.has(key)) refs(node[key], scopes, out);
    return;
  }
  if (type === "Identifier" || type === "JSXIdentifier") return useIdent(node.name, scopes, out);
  if (TS_EXPRESSIONS.has(type)) return refs(node.expression, scopes, out);
  if (type === "TSParameterProperty") return patternRefs(node.parameter, scopes, out);
  if (type === "TSEnumDeclaration") return refs(node.body?.members ?? node.members, scopes, out);
  if (type === "TSEnumMember") return refs(node.initializer, scopes, out);
  if (type === "TSModuleDeclaration") return refs(node.body, scopes, out);
  if (type === "TSModuleBlock") return refs(node.body, [...scopes, blockBindings(node.body)], out);
  if (type.startsWith("TS")) return; // interfaces, type aliases, annotations, declare
  if (FUNCTIONS.has(type)) {
    const own = new Set<string>();
    for (const p of node.params ?? []) {
      bindingNames(p.type === "TSParameterProperty" ? p.parameter : p, own);
    }
    if (type === "FunctionExpression" && node.id) own.add(node.id.name);
    hoistedVars(node.body, own);
    own.add("arguments");
    const inner = [...scopes, own];
    for (const p of node.params ?? []) patternRefs(p, inner, out);
    if (node.body?.type === "BlockStatement") {
      refs(node.body.body, [...inner, blockBindings(node.body.body)], out);
    } else refs(node.body, inner, out);
    return;
  }
  if (type === "ClassDeclaration" || type === "ClassExpression") {
    refs(node.superClass, scopes, out);
    // A declaration's name is bound by the block around it already; only a named class
    // expression binds its name inside itself.
    const inner = node.id && type === "ClassExpression"
      ? [...scopes, new Set([node.id.name])]
      : scopes;
    return refs(node.body, inner, out);
  }
  if (type === "BlockStatement" || type === "StaticBlock") {
    return refs(node.body, [...scopes, blockBindings(node.body)], out);
  }
  if (type === "Program") return refs(node.body, [...scopes, blockBindings(node.body)], out);
  if (type === "SwitchStatement") {
    refs(node.discriminant, scopes, out);
    const inner = [...scopes, blockBindings(node.cases.flatMap((c: Node) => c.consequent))];
    for (const c of node.cases) {
      refs(c.test, inner, out);
      refs(c.consequent, inner, out);
    }
    return;
  }
  if (type === "ForStatement" || type === "ForInStatement" || type === "ForOfStatement") {
    const head = type === "ForStatement" ? node.init : node.left;
    const own = new Set<string>();
    if (head?.type === "VariableDeclaration" && head.kind !== "var") {
      for (const d of head.declarations) bindingNames(d.id, own);
    }
    const inner = [...scopes, own];
    for (const key of ["init", "left", "right", "test", "update", "body"]) {
      refs(node[key], inner, out);
    }
    return;
  }
  if (type === "CatchClause") {
    const own = new Set<string>();
    bindingNames(node.param, own);
    const inner = [...scopes, own];
    patternRefs(node.param, inner, out);
    return refs(node.body, inner, out);
  }
  if (type === "VariableDeclarator") {
    patternRefs(node.id, scopes, out);
    return refs(node.init, scopes, out);
  }
  if (type === "ImportDeclaration" || type === "ExportAllDeclaration") return;
  if (type === "ExportNamedDeclaration") {
    if (node.declaration) return refs(node.declaration, scopes, out);
    if (!node.source) { for (const s of node.specifiers) refs(s.local, scopes, out); }
    return;
  }
  if (type === "ImportExpression") {
    if (node.source?.type === "Literal" && typeof node.source.value === "string") {
      out.dynamicImports.add(node.source.value);
    } else {
      out.computedImport = true;
      refs(node.source, scopes, out);
    }
    return refs(node.options, scopes, out);
  }
  if (type === "MemberExpression" && !node.computed) {
    if (node.object?.type === "Identifier") {
      return useIdent(node.object.name, scopes, out, node.property.name);
    }
    return refs(node.object, scopes, out);
  }
  if (type === "MetaProperty") return;
  if (
    (type === "Property" || type === "MethodDefinition" || type === "PropertyDefinition" ||
      type === "AccessorProperty") && !node.computed
  ) {
    return refs(node.value, scopes, out);
  }
  if (type === "LabeledStatement") return refs(node.body, scopes, out);
  if (type === "BreakStatement" || type === "ContinueStatement") return;
  if (type === "CallExpression" && out.onCall) out.onCall(node, scopes);
  for (const key in node) if (!SKIP_KEYS.has(key)) refs(node[key], scopes, out);
};

function bindingNames(pattern: Node, out: Set<string>): void {
  if (!pattern) return;
  switch (pattern.type) {
    case "Identifier":
      out.add(pattern.name);
      return;
    case "ObjectPattern":
      for (const p of pattern.properties) {
        bindingNames(p.type === "RestElement" ? p.argument : p.value, out);
      }
      return;
    case "ArrayPattern":
      for (const e of pattern.elements) bindingNames(e, out);
      return;
    case "RestElement":
      return bindingNames(pattern.argument, out);
    case "AssignmentPattern":
      return bindingNames(pattern.left, out);
  }
}

const declaredNames = (decl: Node): string[] => {
  const names = new Set<string>();
  switch (decl?.type) {
    case "VariableDeclaration":
      for (const d of decl.declarations) bindingNames(d.id, names);
      break;
    case "FunctionDeclaration":
    case "ClassDeclaration":
    case "TSEnumDeclaration":
      if (decl.id) names.add(decl.id.name);
      break;
    case "TSModuleDeclaration":
      if (decl.id?.type === "Identifier") names.add(decl.id.name);
      break;
  }
  return [...names];
};

// A step's `run`, or — for a `command`, which has none — its `argv` (so a command has an
// address too; its identity is what argv renders, see lib/pipeline/command.ts).
const runProperty = (call: Node): Node | undefined => {
  const arg = call.arguments?.[0];
  if (arg?.type !== "ObjectExpression") return undefined;
  let argv: Node | undefined;
  for (const prop of arg.properties) {
    if (prop.type !== "Property" || prop.computed) continue;
    const key = prop.key.type === "Identifier" ? prop.key.name : prop.key.value;
    if (key === "run") return prop.value;
    if (key === "argv") argv = prop.value;
  }
  return argv;
};

// The syntax tree without what formatting changes: positions, and the raw text of
// literals (quotes, `1.0` for `1`); a template's raw text stays (String.raw reads it).
const normalised = (node: Node): string =>
  JSON.stringify(node, function (this: Node, key: string, value: unknown) {
    if (key === "start" || key === "end") return undefined;
    if (key === "raw" && this?.type === "Literal") return undefined;
    return value;
  });

// Declarations that only exist in the type system: they never run.
const TYPE_ONLY = new Set([
  "TSTypeAliasDeclaration",
  "TSInterfaceDeclaration",
  "TSDeclareFunction",
  "EmptyStatement",
]);

/** Summarises a module's source. */
export const summarizeModule = (
  path: string,
  source: string,
  tools: SummaryTools,
): ModuleSummary => {
  const result = tools.parse(path, source, { preserveParens: false });
  if (result.errors.length > 0) {
    throw new Error(`cannot parse "${path}": ${result.errors[0]!.message}`);
  }
  const lineStarts = [0];
  for (let i = source.indexOf("\n"); i >= 0; i = source.indexOf("\n", i + 1)) {
    lineStarts.push(i + 1);
  }
  const lineOf = (offset: number): number => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const spanOf = (node: Node, scopes: readonly Scope[] = []): Span => {
    const out = collector();
    refs(node, scopes, out);
    const members: Record<string, string[]> = {};
    for (const [name, names] of out.members) {
      if (!out.direct.has(name)) members[name] = [...names].sort();
    }
    return {
      hash: tools.sha256(normalised(node)),
      line: lineOf(node.start),
      idents: [...out.idents].sort(),
      members,
      dynamicImports: [...out.dynamicImports].sort(),
      computedImport: out.computedImport,
    };
  };

  const imports: Record<string, { source: string; imported: string }> = {};
  const sources = new Set<string>();
  const sideEffects: string[] = [];
  const exports: Record<string, ExportSource> = {};
  const exportAll: string[] = [];
  const declarations: Record<string, Span> = {};
  const effects: Span[] = [];
  const nameOf = (n: Node): string => (n.type === "Identifier" ? n.name : String(n.value));
  for (const statement of result.program.body) {
    const type: string = statement.type;
    if (type === "ImportDeclaration") {
      if (statement.importKind === "type") continue;
      sources.add(statement.source.value);
      if (statement.specifiers.length === 0) sideEffects.push(statement.source.value);
      for (const s of statement.specifiers) {
        if (s.importKind === "type") continue;
        const imported = s.type === "ImportDefaultSpecifier"
          ? "default"
          : s.type === "ImportNamespaceSpecifier"
          ? "*"
          : nameOf(s.imported);
        imports[s.local.name] = { source: statement.source.value, imported };
      }
      continue;
    }
    if (type === "ExportAllDeclaration") {
      if (statement.exportKind === "type") continue;
      sources.add(statement.source.value);
      if (statement.exported) {
        exports[nameOf(statement.exported)] = { source: statement.source.value, imported: "*" };
      } else exportAll.push(statement.source.value);
      continue;
    }
    let decl = statement;
    if (type === "ExportNamedDeclaration") {
      if (statement.exportKind === "type") continue;
      for (const s of statement.specifiers ?? []) {
        if (s.exportKind === "type") continue;
        exports[nameOf(s.exported)] = statement.source
          ? { source: statement.source.value, imported: nameOf(s.local) }
          : { local: nameOf(s.local) };
      }
      if (statement.source) {
        sources.add(statement.source.value);
        continue;
      }
      if (!statement.declaration) continue;
      decl = statement.declaration;
      for (const name of declaredNames(decl)) exports[name] = { local: name };
    } else if (type === "ExportDefaultDeclaration") {
      decl = statement.declaration;
      declarations.default = spanOf(decl);
      exports.default = { local: "default" };
    }
    const names = declaredNames(decl);
    if (names.length > 0) {
      const span = spanOf(decl);
      for (const name of names) declarations[name] = span;
    } else if (
      type !== "ExportDefaultDeclaration" && !TYPE_ONLY.has(decl.type) && !decl.declare
    ) {
      effects.push(spanOf(decl));
    }
  }

  const calls: StepCall[] = [];
  const program = result.program;
  // Calls that initialise a module-level const directly (through `as`/`satisfies`).
  const bindings = new Map<number, string>();
  for (const statement of program.body) {
    const decl = statement.type === "ExportNamedDeclaration" ? statement.declaration : statement;
    if (decl?.type !== "VariableDeclaration" || decl.kind !== "const") continue;
    for (const d of decl.declarations) {
      let init = d.init;
      while (init && TS_EXPRESSIONS.has(init.type)) init = init.expression;
      if (d.id?.type === "Identifier" && init?.type === "CallExpression") {
        bindings.set(init.start, d.id.name);
      }
    }
  }
  const moduleScopes = 1; // the Program's own bindings: module level, never captured
  refs(
    program,
    [],
    collector((call, scopes) => {
      const run = runProperty(call);
      if (!run) return;
      const enclosing = scopes.slice(moduleScopes);
      const shape: RunShape = run.type === "Identifier"
        ? { kind: "identifier", name: run.name }
        : { kind: "inline", ...spanOf(run) };
      const read = shape.kind === "inline" ? shape.idents : [shape.name];
      calls.push({
        start: call.start,
        end: call.end,
        run: shape,
        captures: read.filter((name) => isBound(enclosing, name)),
        ...(bindings.has(call.start) ? { binding: bindings.get(call.start)! } : {}),
      });
    }),
  );
  // Dynamic imports with a literal specifier belong to the whole-module closure too.
  const all = collector();
  refs(program, [], all);
  for (const spec of all.dynamicImports) sources.add(spec);
  return {
    imports,
    sources: [...sources].sort(),
    sideEffects,
    exports,
    exportAll,
    declarations,
    effects,
    calls,
    hash: tools.sha256(normalised(program)),
  };
};
