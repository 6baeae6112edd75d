// The walk downstream of an artifact (impact), over any graph of runs: the log view's
// and the query index's lookups by run id, or the index's runs by number read whole
// (RunGraph) — one walk, so that every way gives the same runs in the same order.
import type { RunHead } from "./run_head.ts";

/** A run downstream of an artifact. */
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

/** What a walk downstream reads, with runs named by `R` (an id, or a number). */
export interface DownstreamGraph<R> {
  /** The runs that consumed `artifact`, in log order (a single one as itself). */
  consumers(artifact: string): R | readonly R[] | undefined;
  /** Marks `run` seen: false when it was already. */
  see(run: R): boolean;
  /**
   * Run `run` met at `distance`, its outputs' ids added to `next` in its summary's
   * order; undefined (and nothing added) when the index has no summary of it.
   */
  expand(run: R, distance: number, next: string[]): ImpactRun | undefined;
}

/**
 * The runs downstream of `artifact`, nearest first: its consumers in log order, then
 * theirs, each once at its least distance. A consumer without a summary is left out.
 */
export const walkDownstream = <R>(artifact: string, graph: DownstreamGraph<R>): ImpactRun[] => {
  const all: ImpactRun[] = [];
  // Artifacts need no set of their own: each run is expanded once, and an artifact met
  // again (made by a second run, or the one asked about) has only runs already seen.
  let frontier = [artifact];
  let next: string[] = [];
  let distance = 1;
  const visit = (run: R) => {
    if (!graph.see(run)) return;
    const met = graph.expand(run, distance, next);
    if (met) all.push(met);
  };
  for (; frontier.length > 0; distance++) {
    for (const id of frontier) {
      const runs = graph.consumers(id);
      if (runs === undefined) continue;
      if (Array.isArray(runs)) { for (const run of runs) visit(run); }
      else visit(runs as R);
    }
    frontier = next;
    next = [];
  }
  return all;
};

/** A graph of runs named by id: `head` gives a run's place and outputs. */
export const byRunId = (
  consumers: (artifact: string) => readonly string[] | undefined,
  head: (run: string) => RunHead | undefined,
): DownstreamGraph<string> => {
  const seen = new Set<string>();
  return {
    consumers,
    see: (run) => {
      if (seen.has(run)) return false;
      seen.add(run);
      return true;
    },
    expand: (run, distance, next) => {
      const h = head(run);
      if (!h) return undefined;
      for (const out of h.outputs) next.push(out);
      return { run, step: h.step, iteration: h.iteration, scenario: h.scenario, distance };
    },
  };
};
