// What code identity needs to know of one module, computed from its source with
// a real TypeScript parser (oxc-parser) and cached by the source's content hash.
//
// Identifier collection over-approximates on purpose: every identifier used in
// an expression position counts as a reference, without scope analysis. A local
// variable that shadows a module-level name therefore pulls that declaration
// into the identity too — a possible needless re-run, never a false cache hit.
// Type-only syntax is skipped: editing a type cannot change what a step computes.

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

const collect = (node: Node, out: Set<string>): void => {
  if (node === null || typeof node !== "object") return;
  if (Array.isArray(node)) {
    for (const child of node) collect(child, out);
    return;
  }
  const type: string | undefined = node.type;
  if (type !== undefined) {
    if (type === "Identifier" || type === "JSXIdentifier") {
      out.add(node.name);
      return;
    }
    if (TS_EXPRESSIONS.has(type)) return collect(node.expression, out);
    if (type === "TSParameterProperty") return collect(node.parameter, out);
    if (type === "TSEnumDeclaration" || type === "TSEnumBody" || type === "TSEnumMember") {
      return collect(
        type === "TSEnumMember"
          ? node.initializer
          : type === "TSEnumBody"
          ? node.members
          : node.body ?? node.members,
        out,
      );
    }
    if (type === "TSModuleDeclaration") return collect(node.body, out);
    if (type === "TSModuleBlock") return collect(node.body, out);
    if (type.startsWith("TS")) return; // interfaces, type aliases, annotations, declare
    if (type === "ImportDeclaration" && node.importKind === "type") return;
    if (type === "MemberExpression" && !node.computed) return collect(node.object, out);
    if (
      (type === "Property" || type === "MethodDefinition" || type === "PropertyDefinition" ||
        type === "AccessorProperty") && !node.computed
    ) {
      return collect(node.value, out);
    }
    if (type === "LabeledStatement") return collect(node.body, out);
    if (type === "BreakStatement" || type === "ContinueStatement") return;
  }
  for (const key in node) {
    if (SKIP_KEYS.has(key)) continue;
    collect(node[key], out);
  }
};

const identsOf = (node: Node): string[] => {
  const out = new Set<string>();
  collect(node, out);
  return [...out].sort();
};

const bindingNames = (pattern: Node, out: string[]): void => {
  if (!pattern) return;
  switch (pattern.type) {
    case "Identifier":
      out.push(pattern.name);
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
};

const declaredNames = (decl: Node): string[] => {
  const names: string[] = [];
  switch (decl?.type) {
    case "VariableDeclaration":
      for (const d of decl.declarations) bindingNames(d.id, names);
      break;
    case "FunctionDeclaration":
    case "ClassDeclaration":
    case "TSEnumDeclaration":
      if (decl.id) names.push(decl.id.name);
      break;
    case "TSModuleDeclaration":
      if (decl.id?.type === "Identifier") names.push(decl.id.name);
      break;
  }
  return names;
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
