/**
 * Impact: the runs that consume an artifact directly, and transitively — what
 * would re-run if it changed — grouped by step and iteration.
 *
 * @module
 */
import type { LineageView } from "./lineage_view.ts";
import { isIndexed } from "./indexed_view.ts";
import { byRunId, type ImpactRun, walkDownstream } from "./_downstream.ts";

export type { ImpactRun } from "./_downstream.ts";

/** The impact of an artifact. */
export interface Impact {
  /** The artifact asked about. */
  readonly artifact: string;
  /** The runs that read it (distance 1). */
  readonly direct: readonly ImpactRun[];
  /** Every run downstream of it, direct ones included, nearest first. */
  readonly transitive: readonly ImpactRun[];
  /** step → the iterations in which it would re-run (null: outside iterate). */
  readonly byStep: Readonly<Record<string, readonly (number | null)[]>>;
}

// The log view's runs, from their summaries; the query index walks its own tables.
const fromLogView = (view: LineageView) =>
  byRunId((artifact) => view.consumedBy.get(artifact), (run) => {
    const s = view.runs.get(run);
    if (!s) return undefined;
    const outputs: string[] = [];
    for (const name in s.outputs) outputs.push(s.outputs[name]!.id);
    return { step: s.step, iteration: s.iteration, scenario: s.scenario, outputs };
  });

/** Computes the runs downstream of `artifact`. */
export const impactOf = (view: LineageView, artifact: string): Impact => {
  const all = isIndexed(view)
    ? view.downstream(artifact)
    : walkDownstream(artifact, fromLogView(view));
  const byStep: Record<string, (number | null)[]> = {};
  for (const r of all) (byStep[r.step] ??= []).push(r.iteration);
  for (const list of Object.values(byStep)) list.sort((a, b) => (a ?? -1) - (b ?? -1));
  return { artifact, direct: all.filter((r) => r.distance === 1), transitive: all, byStep };
};
