/**
 * A type guard compiled from a Schema, for the formats read on hot paths (a run record
 * on every cache hit, a lineage entry per run when a query loads the index): the
 * Schema's own parser costs 5–8 µs a record, a guard compiled once from its AST a
 * fraction of that. It accepts exactly what `Schema.is(schema)` accepts
 * (tests/lib/model/fast_guard_test.ts checks both on random values); a schema with a
 * node it does not know — a refinement, a transformation, a declaration — gets
 * `Schema.is` itself, so nothing is ever accepted that the Schema refuses.
 *
 * @module
 */
import * as Schema from "effect/Schema";
import type * as AST from "effect/SchemaAST";

type Check = (u: unknown) => boolean;

class Unsupported extends Error {}

const isObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u);

const compile = (ast: AST.AST): Check => {
  if (ast.checks !== undefined || ast.encoding !== undefined) throw new Unsupported();
  switch (ast._tag) {
    case "String":
      return (u) => typeof u === "string";
    case "Number":
      return (u) => typeof u === "number";
    case "Boolean":
      return (u) => typeof u === "boolean";
    case "Null":
      return (u) => u === null;
    case "Unknown":
    case "Any":
      return () => true;
    case "Literal": {
      const literal = ast.literal;
      return (u) => u === literal;
    }
    case "Union": {
      const members = ast.types.map(compile);
      return (u) => members.some((m) => m(u));
    }
    case "Arrays": {
      if (ast.elements.length > 0 || ast.rest.length !== 1) throw new Unsupported();
      const item = compile(ast.rest[0]!);
      return (u) => Array.isArray(u) && u.every(item);
    }
    case "Objects":
      return compileObjects(ast);
    default:
      throw new Unsupported();
  }
};

const compileObjects = (ast: AST.Objects): Check => {
  const props = ast.propertySignatures.map((p) => {
    if (typeof p.name !== "string") throw new Unsupported();
    return { name: p.name, optional: p.type.context?.isOptional === true, check: compile(p.type) };
  });
  if (ast.indexSignatures.length > 1) throw new Unsupported();
  const index = ast.indexSignatures[0];
  let rest: Check | undefined;
  if (index !== undefined) {
    if (index.parameter._tag !== "String" || index.parameter.checks !== undefined) {
      throw new Unsupported();
    }
    const value = compile(index.type);
    // Declared properties beside an index signature: only a signature that admits
    // anything is understood here (what the keys it covers are is then moot).
    if (props.length > 0 && index.type._tag !== "Unknown" && index.type._tag !== "Any") {
      throw new Unsupported();
    }
    rest = value;
  }
  return (u) => {
    if (!isObject(u)) return false;
    for (const p of props) {
      if (!Object.hasOwn(u, p.name)) {
        if (p.optional) continue;
        return false;
      }
      if (!p.check(u[p.name])) return false;
    }
    if (rest !== undefined && props.length === 0) {
      for (const key of Object.keys(u)) if (!rest(u[key])) return false;
    }
    return true;
  };
};

/** The guard of `schema`'s type: compiled from its AST, or `Schema.is` where it cannot be. */
export const fastGuard = <S extends Schema.Top>(schema: S): (u: unknown) => u is S["Type"] => {
  try {
    return compile(schema.ast) as (u: unknown) => u is S["Type"];
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
    return Schema.is(schema) as (u: unknown) => u is S["Type"];
  }
};

/** Whether {@linkcode fastGuard} compiles `schema` (rather than falling back to `Schema.is`). */
export const guardCompiles = (schema: Schema.Top): boolean => {
  try {
    compile(schema.ast);
    return true;
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
    return false;
  }
};
