// The layout's one rule: imports point down. store ← lib/model ← {lib/identity,
// lib/pipeline, lib/query, lib/remote} ← cli, with lib/pipeline also using lib/identity and
// lib/remote; and no file imports itself through a cycle. Every import of every source file is read with a
// real parser (type-only imports count: a cycle of types is a cycle of design).
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseSync } from "oxc-parser";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

const listTs = (dir: string): string[] =>
  [...Deno.readDirSync(join(ROOT, dir))].flatMap((e) =>
    e.isDirectory ? listTs(`${dir}/${e.name}`) : e.name.endsWith(".ts") ? [`${dir}/${e.name}`] : []
  );

const FILES = ["mod.ts", ...listTs("store"), ...listTs("lib"), ...listTs("cli")];

// deno-lint-ignore no-explicit-any
type Node = any;

/** The project files a file imports (relative specifiers only), project-relative. */
const importsOf = (file: string): string[] => {
  const text = Deno.readTextFileSync(join(ROOT, file));
  const { program } = parseSync(file, text);
  const out: string[] = [];
  const add = (source: Node) => {
    if (source?.type !== "Literal" || typeof source.value !== "string") return;
    if (!source.value.startsWith(".")) return;
    out.push(relative(ROOT, join(ROOT, dirname(file), source.value)));
  };
  const walk = (node: Node): void => {
    if (!node || typeof node !== "object") return;
    if (Array.isArray(node)) return node.forEach(walk);
    if (
      node.type === "ImportDeclaration" || node.type === "ExportAllDeclaration" ||
      node.type === "ExportNamedDeclaration" || node.type === "ImportExpression"
    ) add(node.source);
    for (const key in node) if (key !== "start" && key !== "end") walk(node[key]);
  };
  walk(program);
  return out;
};

const roomOf = (file: string): string => {
  if (file === "mod.ts") return "mod";
  const [top, sub] = file.split("/");
  if (top === "lib" && sub !== undefined && !sub.endsWith(".ts")) return `lib/${sub}`;
  return top === "lib" ? "lib" : top!;
};

// What each room may import (besides itself).
const MAY_IMPORT: Record<string, readonly string[]> = {
  store: [],
  "lib/model": ["store"],
  "lib/identity": ["store", "lib/model"],
  // lib/pipeline opens a run's remote cache (lib/remote/remote_cache.ts) and hands it
  // the runs it computed; lib/remote knows nothing of the interpreter.
  "lib/pipeline": ["store", "lib/model", "lib/identity", "lib/remote"],
  "lib/query": ["store", "lib/model"],
  "lib/remote": ["store", "lib/model"],
  lib: ["store", "lib/model", "lib/identity", "lib/pipeline", "lib/query", "lib/remote"],
  cli: ["store", "lib", "lib/model", "lib/identity", "lib/pipeline", "lib/query", "lib/remote"],
  mod: ["store", "lib", "lib/model", "lib/identity", "lib/pipeline", "lib/query", "lib/remote"],
};

const graph = new Map(FILES.map((f) => [f, importsOf(f)]));

Deno.test("every import points down the layout: store ← lib/model ← lib/identity, lib/pipeline, lib/query ← cli", () => {
  const upward: string[] = [];
  for (const [file, imports] of graph) {
    const room = roomOf(file);
    for (const target of imports) {
      const to = roomOf(target);
      if (to !== room && !MAY_IMPORT[room]!.includes(to)) upward.push(`${file} → ${target}`);
    }
  }
  assert.deepEqual(upward, []);
});

Deno.test("no source file imports itself through a cycle", () => {
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (file: string): void => {
    const seen = state.get(file);
    if (seen === "done") return;
    if (seen === "open") {
      cycles.push([...path.slice(path.indexOf(file)), file].join(" → "));
      return;
    }
    state.set(file, "open");
    path.push(file);
    for (const target of graph.get(file) ?? []) if (graph.has(target)) visit(target);
    path.pop();
    state.set(file, "done");
  };
  for (const file of graph.keys()) visit(file);
  assert.deepEqual(cycles, []);
});

Deno.test("the layout test reads imports: it sees this checkout's files and their imports", () => {
  assert.ok(FILES.length > 80, `${FILES.length} files`);
  assert.ok(graph.get("lib/pipeline/step.ts")!.some((t) => t.startsWith("lib/model/")));
});
