// What code identity needs to know of one module, computed from its source with
// a real TypeScript parser (oxc-parser) and cached by the source's content hash.
//
// Free identifiers are found with a scope walk: names bound by parameters,
// var/let/const/function/class declarations, catch clauses and imports inside
// the analysed code are not free. The walk errs on the side of "free": anything
// it does not recognise as a binding counts as a reference, which at worst pulls
// an extra module-level declaration into an identity (a needless re-run), never
// leaves one out (a false cache hit). Type-only syntax is skipped: editing a type
// cannot change what a step computes.

/** A span of the source (UTF-16 offsets) and the identifiers it references. */
export interface Span {
  readonly start: number;
  readonly end: number;
  readonly idents: readonly string[];
}

/** How a step call's `run` property is written. */
export type RunShape =
  | ({ readonly kind: "inline" } & Span)
  | {
    readonly kind: "identifier";
    readonly name: string;
    readonly start: number;
    readonly end: number;
  };

/** A module's imports, top-level declarations and `step({ run })`-shaped calls. */
export interface ModuleSummary {
  /** local name → where it comes from (`imported` is "default", "*" or the exported name). */
  readonly imports: Readonly<
    Record<string, { readonly source: string; readonly imported: string }>
  >;
  /** Every module specifier this module imports or re-exports from (runtime imports only). */
  readonly sources: readonly string[];
  /** Top-level declared name → the declaring statement. */
  readonly declarations: Readonly<Record<string, Span>>;
  /** Calls whose first argument is an object literal with a `run` property. */
  readonly calls: readonly {
    readonly start: number;
    readonly end: number;
    readonly run: RunShape;
  }[];
}

// deno-lint-ignore no-explicit-any
type Node = any;

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
const patternRefs = (pattern: Node, scopes: readonly Scope[], out: Set<string>): void => {
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

// Collects the free identifiers of `node` given the enclosing scopes.
const refs = (node: Node, scopes: readonly Scope[], out: Set<string>): void => {
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
  if (type === "Identifier" || type === "JSXIdentifier") {
    if (!isBound(scopes, node.name)) out.add(node.name);
    return;
  }
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
    const inner = node.id ? [...scopes, new Set([node.id.name])] : scopes;
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
  if (type === "FunctionDeclaration") return; // handled above (FUNCTIONS)
  if (type === "ImportDeclaration" || type === "ExportAllDeclaration") return;
  if (type === "ExportNamedDeclaration") {
    if (node.declaration) return refs(node.declaration, scopes, out);
    if (!node.source) { for (const s of node.specifiers) refs(s.local, scopes, out); }
    return;
  }
  if (type === "MemberExpression" && !node.computed) return refs(node.object, scopes, out);
  if (type === "MetaProperty") return;
  if (
    (type === "Property" || type === "MethodDefinition" || type === "PropertyDefinition" ||
      type === "AccessorProperty") && !node.computed
  ) {
    return refs(node.value, scopes, out);
  }
  if (type === "LabeledStatement") return refs(node.body, scopes, out);
  if (type === "BreakStatement" || type === "ContinueStatement") return;
  for (const key in node) if (!SKIP_KEYS.has(key)) refs(node[key], scopes, out);
};

const identsOf = (node: Node): string[] => {
  const out = new Set<string>();
  refs(node, [], out);
  return [...out].sort();
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

const runProperty = (call: Node): Node | undefined => {
  const arg = call.arguments?.[0];
  if (arg?.type !== "ObjectExpression") return undefined;
  for (const prop of arg.properties) {
    if (prop.type !== "Property" || prop.computed) continue;
    const key = prop.key.type === "Identifier" ? prop.key.name : prop.key.value;
    if (key === "run") return prop.value;
  }
  return undefined;
};

/** Summarises a module's source. `parse` is oxc-parser's `parseSync`. */
export const summarizeModule = (
  path: string,
  source: string,
  parse: (
    filename: string,
    text: string,
  ) => { program: Node; errors: readonly { message: string }[] },
): ModuleSummary => {
  const result = parse(path, source);
  if (result.errors.length > 0) {
    throw new Error(`cannot parse "${path}": ${result.errors[0]!.message}`);
  }
  const imports: Record<string, { source: string; imported: string }> = {};
  const sources = new Set<string>();
  const declarations: Record<string, Span> = {};
  for (const statement of result.program.body) {
    let decl = statement;
    if (statement.type === "ImportDeclaration") {
      if (statement.importKind === "type") continue;
      sources.add(statement.source.value);
      for (const s of statement.specifiers) {
        if (s.importKind === "type") continue;
        const imported = s.type === "ImportDefaultSpecifier"
          ? "default"
          : s.type === "ImportNamespaceSpecifier"
          ? "*"
          : s.imported.type === "Identifier"
          ? s.imported.name
          : s.imported.value;
        imports[s.local.name] = { source: statement.source.value, imported };
      }
      continue;
    }
    if (
      statement.type === "ExportAllDeclaration" ||
      (statement.type === "ExportNamedDeclaration" && statement.source)
    ) {
      if (statement.exportKind !== "type") sources.add(statement.source.value);
      continue;
    }
    if (
      statement.type === "ExportNamedDeclaration" || statement.type === "ExportDefaultDeclaration"
    ) {
      decl = statement.declaration;
      if (statement.type === "ExportDefaultDeclaration") {
        declarations.default = {
          start: statement.start,
          end: statement.end,
          idents: identsOf(decl),
        };
      }
    }
    for (const name of declaredNames(decl)) {
      declarations[name] = { start: statement.start, end: statement.end, idents: identsOf(decl) };
    }
  }
  const calls: { start: number; end: number; run: RunShape }[] = [];
  const findCalls = (node: Node): void => {
    if (node === null || typeof node !== "object") return;
    if (Array.isArray(node)) {
      for (const child of node) findCalls(child);
      return;
    }
    if (node.type === "CallExpression") {
      const run = runProperty(node);
      if (run) {
        calls.push({
          start: node.start,
          end: node.end,
          run: run.type === "Identifier"
            ? { kind: "identifier", name: run.name, start: run.start, end: run.end }
            : { kind: "inline", start: run.start, end: run.end, idents: identsOf(run) },
        });
      }
    }
    for (const key in node) if (!SKIP_KEYS.has(key)) findCalls(node[key]);
  };
  findCalls(result.program);
  // Dynamic imports with a literal specifier belong to the closure too.
  const findDynamic = (node: Node): void => {
    if (node === null || typeof node !== "object") return;
    if (Array.isArray(node)) return node.forEach(findDynamic);
    if (
      node.type === "ImportExpression" && node.source?.type === "Literal" &&
      typeof node.source.value === "string"
    ) {
      sources.add(node.source.value);
    }
    for (const key in node) if (!SKIP_KEYS.has(key)) findDynamic(node[key]);
  };
  findDynamic(result.program);
  return { imports, sources: [...sources].sort(), declarations, calls };
};
