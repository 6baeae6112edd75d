/**
 * Lineage by step: one node per step instead of one per run, so a 15-iteration
 * chain of 7 steps is 7 boxes, not 105 boxes and 200 ellipses in a row tens of
 * thousands of points wide. An edge joins two steps when a run of one read an
 * output of a run of the other, labelled with the input names and the iterations
 * (`@0–13 → @1–14` for a loop-carried state, `@0–14` within an iteration). Inputs
 * no run of the lineage made (external inputs, or where `--depth` stopped) and the
 * artifacts the walk started from stay artifact nodes, one per name.
 *
 * @module
 */
import {
  type GraphEdge,
  type GraphNode,
  type GraphStructure,
  runsInOrder,
} from "./_graph_structure.ts";
import { iterationRanges } from "./iteration_ranges.ts";
import type { Lineage } from "./lineage.ts";

type Pair = readonly [number | null, number | null];

// `@0–14` when every consumer read the same iteration's output (or an input made by
// no run), `@0–13 → @1–14` when not, `from @0–14` into a step outside `iterate`;
// nothing when neither side is in `iterate`.
const iterationLabel = (pairs: readonly Pair[]): string | null => {
  const from = pairs.map(([p]) => p);
  const to = pairs.map(([, c]) => c);
  const none = (xs: readonly (number | null)[]) => xs.every((x) => x === null);
  if (pairs.every(([p, c]) => p === null || p === c)) {
    return none(to) ? null : `@${iterationRanges(to)}`;
  }
  if (none(to)) return `from @${iterationRanges(from)}`;
  return `@${iterationRanges(from)} → @${iterationRanges(to)}`;
};

// Input names, with numbered ones folded: `choices_0 … choices_14` is `choices_0–14`,
// and a list input's elements `choices[0] … choices[14]` are `choices[0–14]`.
const inputNames = (names: Iterable<string>): string => {
  const plain = new Set<string>();
  const numbered = new Map<string, number[]>();
  const elements = new Map<string, number[]>();
  for (const name of names) {
    const e = /^(.*)\[(\d+)\]$/.exec(name);
    if (e) {
      elements.set(e[1]!, [...(elements.get(e[1]!) ?? []), Number(e[2])]);
      continue;
    }
    const m = /^(.*\D)(\d+)$/.exec(name);
    // `zone_01` keeps its name: folding it into a range would drop the zero.
    if (m && (m[2] === "0" || !m[2]!.startsWith("0"))) {
      numbered.set(m[1]!, [...(numbered.get(m[1]!) ?? []), Number(m[2])]);
    } else if (name !== "") plain.add(name);
  }
  const folded = [...numbered].map(([prefix, ns]) =>
    ns.length === 1 ? `${prefix}${ns[0]}` : `${prefix}${iterationRanges(ns)}`
  );
  const lists = [...elements].map(([name, ns]) => `${name}[${iterationRanges(ns)}]`);
  return [...plain, ...folded, ...lists].sort().join(", ");
};

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * The picture of `lineage` with one node per step; `note`, if given, is added to
 * its title (why this view was chosen).
 *
 * @example A chain of three iterations, by step
 * ```ts
 * import { Effect } from "effect"
 * import { ObjectStore } from "../../store/object_store.ts"
 * import { lineage } from "./lineage.ts"
 * import { loadLineageView } from "./lineage_view.ts"
 * import { stepStructure } from "./step_graph.ts"
 *
 * const picture = Effect.gen(function* () {
 *   const graph = yield* lineage("skims", yield* loadLineageView)
 *   return stepStructure(graph).nodes.map((n) => n.lines[0]) // the step names, and skims
 * }).pipe(Effect.provide(ObjectStore.layer({ root: ".cairn" })))
 * ```
 */
export const stepStructure = (lineage: Lineage, note?: string): GraphStructure => {
  const runs = runsInOrder(lineage);
  const steps = new Map<string, (number | null)[]>();
  for (const r of runs) steps.set(r.step, [...(steps.get(r.step) ?? []), r.iteration]);
  const artifactNodes = new Map<string, { name: string; ids: Set<string>; external: boolean }>();
  const artifactNode = (id: string): string => {
    const a = lineage.artifacts[id]!;
    const external = a.producer === null;
    const key = `artifact:${a.name}${external ? ":external" : ""}`;
    const node = artifactNodes.get(key) ?? { name: a.name, ids: new Set(), external };
    node.ids.add(id);
    artifactNodes.set(key, node);
    return key;
  };
  const targets = new Map<string, string>();
  const edges = new Map<string, { from: string; to: string; names: Set<string>; pairs: Pair[] }>();
  const addEdge = (from: string, to: string, name: string, pair: Pair) => {
    const key = JSON.stringify([from, to]);
    const edge = edges.get(key) ?? { from, to, names: new Set(), pairs: [] };
    edge.names.add(name);
    edge.pairs.push(pair);
    edges.set(key, edge);
  };
  for (const r of runs) {
    for (const [name, id] of Object.entries(r.inputs)) {
      if (!id || !lineage.artifacts[id]) continue;
      const producer = lineage.artifacts[id]!.producer;
      const made = producer ? lineage.runs[producer] : undefined;
      if (made) addEdge(`step:${made.step}`, `step:${r.step}`, name, [made.iteration, r.iteration]);
      else addEdge(artifactNode(id), `step:${r.step}`, name, [null, r.iteration]);
    }
  }
  // The artifacts asked about, from the steps that made them.
  for (const root of lineage.roots) {
    const producer = lineage.artifacts[root]?.producer;
    const made = producer ? lineage.runs[producer] : undefined;
    if (!made) continue;
    targets.set(`target:${root}`, root);
    addEdge(`step:${made.step}`, `target:${root}`, "", [made.iteration, made.iteration]);
  }
  const nodes: GraphNode[] = [
    ...[...steps].map(([step, iterations]) => ({
      key: `step:${step}`,
      shape: "box" as const,
      lines: [
        step,
        ...(iterations.some((i) => i !== null) ? [`@${iterationRanges(iterations)}`] : []),
        plural(iterations.length, "run"),
      ],
      external: false,
    })),
    ...[...artifactNodes].map(([key, a]) => ({
      key,
      shape: "ellipse" as const,
      lines: [a.name, a.ids.size === 1 ? [...a.ids][0]!.slice(0, 12) : `${a.ids.size} artifacts`],
      external: a.external,
    })),
    ...[...targets].map(([key, id]) => ({
      key,
      shape: "ellipse" as const,
      lines: [lineage.artifacts[id]!.name, id.slice(0, 12)],
      external: false,
    })),
  ];
  const labelled: GraphEdge[] = [...edges.values()].map((e) => {
    const names = inputNames(e.names);
    const iterations = iterationLabel(e.pairs);
    return {
      from: e.from,
      to: e.to,
      label: [...(names ? [names] : []), ...(iterations ? [iterations] : [])],
    };
  });
  const title = `by step: ${plural(runs.length, "run")} of ${plural(steps.size, "step")}${
    note ? `; ${note}` : ""
  }`;
  return { nodes, edges: labelled, title };
};
