/**
 * Impact: the runs that consume an artifact directly, and transitively — what
 * would re-run if it changed — grouped by step and iteration.
 *
 * @module
 */
import type { LineageView } from "./lineage_view.ts";
import { isIndexed } from "./indexed_view.ts";

/** A consuming run. */
export interface ImpactRun {
  /** The consuming run's id. */
  readonly run: string;
  /** Its step. */
  readonly step: string;
  /** Its iteration (null outside `iterate`). */
  readonly iteration: number | null;
  /** Its scenario. */
  readonly scenario: string | null;
  /** 1 for a direct consumer, n for one n runs downstream. */
  readonly distance: number;
}

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

// What the walk reads: a run's place and outputs. The query index answers it from
// columns and rows (impact of an early artifact reaches every run, and parsing every
// summary was most of the time); the log view from its summaries.
const headOf = (view: LineageView) =>
  isIndexed(view) ? (run: string) => view.head(run) : (run: string) => {
    const s = view.runs.get(run);
    if (!s) return undefined;
    const outputs: string[] = [];
    for (const name in s.outputs) outputs.push(s.outputs[name]!.id);
    return { step: s.step, iteration: s.iteration, scenario: s.scenario, outputs };
  };

/** Computes the runs downstream of `artifact`. */
export const impactOf = (view: LineageView, artifact: string): Impact => {
  const head = headOf(view);
  const seen = new Set<string>();
  const all: ImpactRun[] = [];
  // Artifacts need no set of their own: each run is expanded once, and an artifact met
  // again (made by a second run, or the one asked about) has only runs already seen.
  let frontier = [artifact];
  for (let distance = 1; frontier.length > 0; distance++) {
    const next: string[] = [];
    for (const id of frontier) {
      for (const run of view.consumedBy.get(id) ?? []) {
        if (seen.has(run)) continue;
        seen.add(run);
        const s = head(run);
        if (!s) continue;
        all.push({ run, step: s.step, iteration: s.iteration, scenario: s.scenario, distance });
        for (const out of s.outputs) next.push(out);
      }
    }
    frontier = next;
  }
  const byStep: Record<string, (number | null)[]> = {};
  for (const r of all) (byStep[r.step] ??= []).push(r.iteration);
  for (const list of Object.values(byStep)) list.sort((a, b) => (a ?? -1) - (b ?? -1));
  return { artifact, direct: all.filter((r) => r.distance === 1), transitive: all, byStep };
};
