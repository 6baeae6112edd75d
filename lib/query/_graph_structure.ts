// What a lineage picture is made of before it is written as DOT or Mermaid: nodes
// (boxes for runs or steps, ellipses for artifacts; dashed for an external input)
// and edges, optionally labelled. Private to graph.ts and step_graph.ts.
import type { Lineage } from "./lineage.ts";

/** A node: its key (unique in the picture), shape and label lines. */
export interface GraphNode {
  readonly key: string;
  readonly shape: "box" | "ellipse";
  readonly lines: readonly string[];
  readonly external: boolean;
}

/** An edge from node key to node key; `label` lines, none for an unlabelled edge. */
export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly label: readonly string[];
}

/** A picture: nodes, edges, and a title (none: untitled). */
export interface GraphStructure {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  readonly title: string | null;
}

/** The runs of a lineage by start time (then id), as every picture orders them. */
export const runsInOrder = (lineage: Lineage): Lineage["runs"][string][] =>
  Object.values(lineage.runs).sort((a, b) =>
    a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.id < b.id ? -1 : 1
  );

/**
 * One node per run (`step@iteration`) and per artifact (name and short id); edges
 * artifact → run for inputs, run → artifact for outputs.
 */
export const runStructure = (lineage: Lineage): GraphStructure => {
  const runs = runsInOrder(lineage);
  const nodes: GraphNode[] = [
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
  return {
    nodes,
    edges: [...edges].map((e) => {
      const [from, to] = JSON.parse(e) as [string, string];
      return { from, to, label: [] };
    }),
    title: null,
  };
};
