/**
 * Lineage: an artifact back through the runs that produced it and their inputs,
 * recursively — as a graph in which every run and artifact appears once, so a
 * 1,000-iteration chain stays linear in size.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import type { ObjectStore } from "../../store/object_store.ts";
import type { StoreError } from "../../store/errors.ts";
import type { LineageView } from "./lineage_view.ts";
import { isIndexed } from "./indexed_view.ts";
import { nodeOfSummary, type RunNode } from "./run_head.ts";
import type { QueryError } from "./query_error.ts";
import { resolveTarget } from "./resolve_target.ts";
import { readScenario } from "./scenarios.ts";

/** An artifact in a lineage graph. */
export interface LineageArtifact {
  /** The artifact's object id. */
  readonly id: string;
  /** Its output name (or input name, for an external input); `?` when no run names it. */
  readonly name: string;
  /** `blob` or `tree` (`?` when no run names it). */
  readonly kind: string;
  /** The codec that wrote it. */
  readonly codec: string;
  /** Its size in bytes. */
  readonly size: number;
  /** The (newest) run that produced it; null for an external input. */
  readonly producer: string | null;
  /** How many runs produced these exact bytes. */
  readonly producers: number;
}

/** A run in a lineage graph: its node (step, iteration, scenario, timing, inputs' and outputs' ids) and id. */
export interface LineageRun extends Omit<RunNode, "made"> {
  /** The run's id. */
  readonly id: string;
}

/** The lineage of a target. */
export interface Lineage {
  /** The artifacts the walk started from (a run or scenario target starts from its outputs). */
  readonly roots: readonly string[];
  /** The run the target named, if it named one. */
  readonly rootRun: string | null;
  /** The `--depth` asked for (null: to the external inputs). */
  readonly depth: number | null;
  /** True when `depth` stopped the walk before the inputs ran out. */
  readonly truncated: boolean;
  /** Every artifact of the walk, by id. */
  readonly artifacts: Readonly<Record<string, LineageArtifact>>;
  /** Every run of the walk, by id. */
  readonly runs: Readonly<Record<string, LineageRun>>;
}

// What the walk reads of a run: the query index's node (columns and rows once the
// walk is large), or one made from the log view's summary.
type Nodes = (id: string) => RunNode | undefined;
const nodesOf = (view: LineageView): Nodes =>
  isIndexed(view) ? (id) => view.node(id) : (id) => {
    const s = view.runs.get(id);
    return s ? nodeOfSummary(s) : undefined;
  };

const runOf = (nodes: Nodes, id: string): LineageRun | undefined => {
  const n = nodes(id);
  if (!n) return undefined;
  return {
    id,
    step: n.step,
    iteration: n.iteration,
    scenario: n.scenario,
    durationMs: n.durationMs,
    startedAt: n.startedAt,
    inputs: n.inputs,
    outputs: n.outputs,
  };
};

// Name, kind and size of an artifact, from the run that made it or one that read it.
const describe = (
  view: LineageView,
  nodes: Nodes,
  id: string,
  producer: string | null,
): LineageArtifact => {
  const producers = view.producedBy.get(id)?.length ?? 0;
  const outputs = producer ? nodes(producer)?.made : undefined;
  for (const name in outputs) {
    const ref = outputs[name]!;
    if (ref.id === id) {
      return { id, name, kind: ref.kind, codec: ref.codec, size: ref.size, producer, producers };
    }
  }
  for (const consumer of view.consumedBy.get(id) ?? []) {
    for (const [name, ref] of Object.entries(view.runs.get(consumer)?.inputs ?? {})) {
      if (ref?.id === id) {
        return { id, name, kind: ref.kind, codec: ref.codec, size: ref.size, producer, producers };
      }
    }
  }
  return { id, name: "?", kind: "?", codec: "?", size: 0, producer, producers };
};

/** Walks from `roots` back through producers, `depth` run levels deep (all when null). */
export const lineageOf = (
  view: LineageView,
  roots: readonly string[],
  depth: number | null,
  rootRun: string | null = null,
): Lineage => {
  const nodes = nodesOf(view);
  const artifacts: Record<string, LineageArtifact> = {};
  const runs: Record<string, LineageRun> = {};
  let truncated = false;
  let frontier = [...roots];
  let start = 0;
  if (rootRun) {
    // A run target: the run itself is level 0, its outputs describe it, its inputs come next.
    const run = runOf(nodes, rootRun);
    if (run) {
      runs[rootRun] = run;
      for (const id of roots) {
        artifacts[id] = { ...describe(view, nodes, id, rootRun), producer: rootRun };
      }
      frontier = Object.values(run.inputs).filter((i): i is string => i !== null);
      start = 1;
    }
  }
  for (let level = start; frontier.length > 0; level++) {
    const next: string[] = [];
    for (const id of frontier) {
      if (artifacts[id]) continue;
      const producedBy = view.producedBy.get(id);
      const producer = producedBy?.[producedBy.length - 1] ?? null;
      artifacts[id] = describe(view, nodes, id, producer);
      if (!producer || runs[producer]) continue;
      if (depth !== null && level >= depth) {
        truncated = true;
        continue;
      }
      const run = runOf(nodes, producer);
      if (!run) continue;
      runs[producer] = run;
      for (const input of Object.values(run.inputs)) {
        if (input && !artifacts[input]) next.push(input);
      }
    }
    frontier = next;
  }
  return { roots, rootRun, depth, truncated, artifacts, runs };
};

/** The lineage of a target (see `resolveTarget`). */
export const lineage = (
  target: string,
  view: LineageView,
  options: { readonly depth?: number | null } = {},
): Effect.Effect<Lineage, QueryError | StoreError, ObjectStore> =>
  Effect.gen(function* () {
    const resolved = yield* resolveTarget(target, view);
    const depth = options.depth ?? null;
    if (resolved.kind === "artifact") return lineageOf(view, [resolved.id], depth);
    let run: string | undefined = resolved.id;
    if (resolved.kind === "scenario") {
      const indexed = isIndexed(view) && view.scenarioHead(resolved.id) !== undefined;
      if (indexed) {
        const row = view.prepare(
          `SELECT run FROM scenario_invocations
           WHERE rec = (SELECT n FROM scenario_records WHERE id = ?) AND run IS NOT NULL AND run != ''
           ORDER BY ord DESC LIMIT 1`,
        ).get(resolved.id) as { run: string } | undefined;
        run = row?.run;
      } else {
        const scenario = yield* readScenario(resolved.id);
        run = [...scenario.invocations].reverse().find((i) => i.run)?.run ?? undefined;
      }
    }
    const summary = run ? view.runs.get(run) : undefined;
    const outputs = summary ? Object.values(summary.outputs).map((o) => o.id) : [];
    return lineageOf(view, outputs, depth === null ? null : depth, run ?? null);
  });
