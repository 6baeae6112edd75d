/**
 * Lineage as a picture: Graphviz DOT, Mermaid, or SVG. By run (the default), runs
 * are boxes (`step@iteration`), artifacts ellipses (name and short id; dashed for
 * an external input); edges go artifact → run for inputs and run → artifact for
 * outputs. By step, one box per step and labelled edges between them
 * (`step_graph.ts`). DOT and Mermaid are plain text written here; SVG is Graphviz itself,
 * compiled to WebAssembly (`@hpcc-js/wasm-graphviz`) and loaded only when asked
 * for, since loading it takes about half a second.
 *
 * @module
 */
import { type GraphStructure, runStructure } from "./_graph_structure.ts";
import type { Lineage } from "./lineage.ts";
import { QueryError } from "./query_error.ts";
import { stepStructure } from "./step_graph.ts";

/** The formats {@linkcode graphOf} writes. */
export type GraphFormat = "dot" | "mermaid" | "svg";

/** How {@linkcode graphOf} draws: a node per run (the default) or per step, and a note for the title. */
export interface GraphOptions {
  /** A node per run (the default) or one per step. */
  readonly by?: "run" | "step";
  /** Said in the picture's title (why it is drawn this way). */
  readonly note?: string;
}

const structure = (lineage: Lineage, options: GraphOptions): GraphStructure =>
  options.by === "step" ? stepStructure(lineage, options.note) : {
    ...runStructure(lineage),
    title: options.note ?? null,
  };

// Inside a DOT quoted string only `"` and `\` are special; `\n` is a centred line break.
const dotString = (text: string) =>
  `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replace(/\r?\n/g, "\\n")}"`;

const toDot = (picture: GraphStructure): string => {
  const { nodes, edges, title } = picture;
  const lines = ["digraph lineage {", "  rankdir=LR;", '  node [fontname="Helvetica"];'];
  if (title) {
    lines.push(`  label=${dotString(title)};`, "  labelloc=t;", '  fontname="Helvetica";');
    lines.push('  edge [fontname="Helvetica", fontsize=10];');
  }
  for (const n of nodes) {
    const style = n.external ? ", style=dashed" : "";
    const label = n.lines.map((l) => dotString(l).slice(1, -1)).join("\\n");
    lines.push(`  ${dotString(n.key)} [shape=${n.shape}${style}, label="${label}"];`);
  }
  for (const { from, to, label } of edges) {
    const text = label.length > 0 ? ` [label=${dotString(label.join("\n"))}]` : "";
    lines.push(`  ${dotString(from)} -> ${dotString(to)}${text};`);
  }
  lines.push("}");
  return lines.join("\n") + "\n";
};

// Mermaid reads `#name;` entities in labels and treats `<`/`>` as HTML: escape all three.
const mermaidText = (text: string) =>
  text.replaceAll("#", "#35;").replaceAll('"', "#quot;").replaceAll("<", "#lt;")
    .replaceAll(">", "#gt;").replace(/\r?\n/g, "<br/>");

const toMermaid = (picture: GraphStructure): string => {
  const { nodes, edges, title } = picture;
  // Mermaid ids must be plain words; number the nodes.
  const ids = new Map(nodes.map((n, i) => [n.key, `${n.shape === "box" ? "r" : "a"}${i}`]));
  // A title is YAML front matter: quoted, with `"` and `\` escaped as JSON escapes them.
  const lines = [
    ...(title ? ["---", `title: ${JSON.stringify(title)}`, "---"] : []),
    "flowchart LR",
  ];
  for (const n of nodes) {
    const label = `"${n.lines.map(mermaidText).join("<br/>")}"`;
    lines.push(`  ${ids.get(n.key)}${n.shape === "box" ? `[${label}]` : `([${label}])`}`);
  }
  for (const { from, to, label } of edges) {
    const text = label.length > 0 ? `|"${label.map(mermaidText).join("<br/>")}"|` : "";
    lines.push(`  ${ids.get(from)} -->${text} ${ids.get(to)}`);
  }
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

const toSvg = async (picture: GraphStructure): Promise<string> => {
  // Kept once loaded; forgotten if loading fails, so a later call tries again.
  graphviz ??= import("@hpcc-js/wasm-graphviz").then((m) => m.Graphviz.load()).catch((e) => {
    graphviz = undefined;
    throw e;
  });
  return (await graphviz).dot(toDot(picture), "svg");
};

/**
 * Renders a lineage graph as DOT, Mermaid or SVG text, a node per run or (with
 * `{ by: "step" }`) per step; an unknown format rejects with `QueryError`.
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
export const graphOf = (
  lineage: Lineage,
  format: GraphFormat,
  options: GraphOptions = {},
): Promise<string> => {
  switch (format) {
    case "dot":
      return Promise.resolve(toDot(structure(lineage, options)));
    case "mermaid":
      return Promise.resolve(toMermaid(structure(lineage, options)));
    case "svg":
      return toSvg(structure(lineage, options));
    default:
      // The CLI passes what the user typed.
      return Promise.reject(
        new QueryError({
          detail: `Cannot draw a graph as "${format}": give "dot", "mermaid" or "svg"`,
        }),
      );
  }
};
