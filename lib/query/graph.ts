/**
 * Lineage as a picture: Graphviz DOT, Mermaid, or SVG. Runs are boxes
 * (`step@iteration`), artifacts ellipses (name and short id; dashed for an
 * external input); edges go artifact → run for inputs and run → artifact for
 * outputs. DOT and Mermaid are plain text written here; SVG is Graphviz itself,
 * compiled to WebAssembly (`@hpcc-js/wasm-graphviz`) and loaded only when asked
 * for, since loading it takes about half a second.
 *
 * @module
 */
import type { Lineage } from "./lineage.ts";
import { QueryError } from "./query_error.ts";

/** The formats {@linkcode graphOf} writes. */
export type GraphFormat = "dot" | "mermaid" | "svg";

interface Node {
  readonly key: string;
  readonly shape: "box" | "ellipse";
  readonly lines: readonly string[];
  readonly external: boolean;
}

// Nodes and edges in a stable order: runs by start time, artifacts in walk order.
const structure = (lineage: Lineage) => {
  const runs = Object.values(lineage.runs).sort((a, b) =>
    a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.id < b.id ? -1 : 1
  );
  const nodes: Node[] = [
    ...runs.map((r) => ({
      key: `run:${r.id}`,
      shape: "box" as const,
      lines: [r.iteration === null ? r.step : `${r.step}@${r.iteration}`],
      external: false,
    })),
    ...Object.values(lineage.artifacts).map((a) => ({
      key: `artifact:${a.id}`,
      shape: "ellipse" as const,
      lines: [a.name, a.id.slice(0, 12)],
      external: a.producer === null,
    })),
  ];
  const edges = new Set<string>();
  for (const run of runs) {
    for (const input of Object.values(run.inputs)) {
      if (input && lineage.artifacts[input]) {
        edges.add(JSON.stringify([`artifact:${input}`, `run:${run.id}`]));
      }
    }
    for (const output of Object.values(run.outputs)) {
      if (lineage.artifacts[output]) {
        edges.add(JSON.stringify([`run:${run.id}`, `artifact:${output}`]));
      }
    }
  }
  return { nodes, edges: [...edges].map((e) => JSON.parse(e) as [string, string]) };
};

// Inside a DOT quoted string only `"` and `\` are special; `\n` is a centred line break.
const dotString = (text: string) =>
  `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replace(/\r?\n/g, "\\n")}"`;

const toDot = (lineage: Lineage): string => {
  const { nodes, edges } = structure(lineage);
  const lines = ["digraph lineage {", "  rankdir=LR;", '  node [fontname="Helvetica"];'];
  for (const n of nodes) {
    const style = n.external ? ", style=dashed" : "";
    const label = n.lines.map((l) => dotString(l).slice(1, -1)).join("\\n");
    lines.push(`  ${dotString(n.key)} [shape=${n.shape}${style}, label="${label}"];`);
  }
  for (const [from, to] of edges) lines.push(`  ${dotString(from)} -> ${dotString(to)};`);
  lines.push("}");
  return lines.join("\n") + "\n";
};

// Mermaid reads `#name;` entities in labels and treats `<`/`>` as HTML: escape all three.
const mermaidText = (text: string) =>
  text.replaceAll("#", "#35;").replaceAll('"', "#quot;").replaceAll("<", "#lt;")
    .replaceAll(">", "#gt;").replace(/\r?\n/g, "<br/>");

const toMermaid = (lineage: Lineage): string => {
  const { nodes, edges } = structure(lineage);
  // Mermaid ids must be plain words; number the nodes.
  const ids = new Map(nodes.map((n, i) => [n.key, `${n.shape === "box" ? "r" : "a"}${i}`]));
  const lines = ["flowchart LR"];
  for (const n of nodes) {
    const label = `"${n.lines.map(mermaidText).join("<br/>")}"`;
    lines.push(`  ${ids.get(n.key)}${n.shape === "box" ? `[${label}]` : `([${label}])`}`);
  }
  for (const [from, to] of edges) lines.push(`  ${ids.get(from)} --> ${ids.get(to)}`);
  const external = nodes.filter((n) => n.external).map((n) => ids.get(n.key));
  if (external.length > 0) {
    lines.push(
      "  classDef external stroke-dasharray: 5 5",
      `  class ${external.join(",")} external`,
    );
  }
  return lines.join("\n") + "\n";
};

type Graphviz = { dot: (source: string, format?: "svg") => string };
let graphviz: Promise<Graphviz> | undefined;

const toSvg = async (lineage: Lineage): Promise<string> => {
  // Kept once loaded; forgotten if loading fails, so a later call tries again.
  graphviz ??= import("@hpcc-js/wasm-graphviz").then((m) => m.Graphviz.load()).catch((e) => {
    graphviz = undefined;
    throw e;
  });
  return (await graphviz).dot(toDot(lineage), "svg");
};

/**
 * Renders a lineage graph as DOT, Mermaid or SVG text; an unknown format rejects
 * with `QueryError`.
 *
 * @example The lineage of `skims` as DOT
 * ```ts
 * import { Effect } from "effect"
 * import { ObjectStore } from "../../store/object_store.ts"
 * import { graphOf } from "./graph.ts"
 * import { lineage } from "./lineage.ts"
 * import { loadLineageView } from "./lineage_view.ts"
 *
 * const dot = Effect.gen(function* () {
 *   const graph = yield* lineage("skims", yield* loadLineageView)
 *   return yield* Effect.promise(() => graphOf(graph, "dot"))
 * }).pipe(Effect.provide(ObjectStore.layer({ root: ".cairn" })))
 * ```
 */
export const graphOf = (lineage: Lineage, format: GraphFormat): Promise<string> => {
  switch (format) {
    case "dot":
      return Promise.resolve(toDot(lineage));
    case "mermaid":
      return Promise.resolve(toMermaid(lineage));
    case "svg":
      return toSvg(lineage);
    default:
      // The CLI passes what the user typed.
      return Promise.reject(
        new QueryError({
          detail: `Cannot draw a graph as "${format}": give "dot", "mermaid" or "svg"`,
        }),
      );
  }
};
