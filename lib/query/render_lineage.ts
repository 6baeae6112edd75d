/**
 * Lineage as an indented tree of text lines. Every run is printed once; a later
 * reference to it says where it was shown, so shared sub-graphs (the `zones` every
 * iteration reads, a 1,000-iteration chain) do not explode.
 *
 * @module
 */
import type { Lineage } from "./lineage.ts";

/** Bytes as B, KiB, MiB, GiB. */
export const formatBytes = (n: number): string => {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
};

/** Milliseconds as ms or s. */
export const formatMs = (
  ms: number,
): string => (ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`);

const short = (id: string) => id.slice(0, 12);

/**
 * Renders a lineage graph as tree lines. A run's inputs are listed under it, and
 * one of them continues *below* the run at the same depth instead of nesting: the
 * one made by the previous iteration (the loop-carried state), else by the newest
 * run of the same iteration. So an iterative chain prints as a column, with each
 * iteration's own steps one level in, not as a staircase; a run that continues
 * the column is referred to as "shown below" where an input nested under the same
 * run reads it. The runs of a column are drawn as siblings — `├─` each, `└─` the
 * last — so a `└─` is always a last child, and what hangs off it is indented with
 * spaces. Every run is printed once; later references say on which line.
 */
export const renderLineage = (lineage: Lineage): string[] => {
  const lines: string[] = [];
  renderLineageTo(lineage, (line) => lines.push(line));
  return lines;
};

/**
 * Renders as {@linkcode renderLineage} does, handing each line to `emit` as it is
 * made, so a lineage of 100,000 lines is written as it goes rather than held.
 *
 * @example Lines as they come
 * ```ts
 * import assert from "node:assert/strict"
 * import { renderLineageTo } from "cairn/query"
 *
 * const lines: string[] = []
 * renderLineageTo({
 *   roots: ["a".repeat(64)],
 *   rootRun: null,
 *   depth: null,
 *   truncated: false,
 *   artifacts: {
 *     ["a".repeat(64)]: {
 *       id: "a".repeat(64), name: "zones", kind: "blob", codec: "json", size: 2,
 *       producer: null, producers: 0,
 *     },
 *   },
 *   runs: {},
 * }, (line) => lines.push(line))
 * assert.deepEqual(lines, ["zones  blob aaaaaaaaaaaa  json  2 B  (external input)"])
 * ```
 */
export const renderLineageTo = (lineage: Lineage, emit: (line: string) => void): void => {
  let count = 0;
  const lines = {
    push: (line: string) => {
      count++;
      emit(line);
    },
    get length() {
      return count;
    },
  };
  const shownRuns = new Map<string, number>();
  // Runs reserved to continue a column further down.
  const below = new Set<string>();
  // An element of a list input is named by its place in the list (`choices[3]`).
  const artifactLine = (id: string, slot?: string) => {
    const a = lineage.artifacts[id]!;
    const extra = a.producers > 1 ? `  (made by ${a.producers} runs)` : "";
    const name = slot !== undefined && /\[\d+\]$/.test(slot) ? slot : a.name;
    return `${name}  ${a.kind} ${short(id)}  ${a.codec}  ${formatBytes(a.size)}${
      a.producer ? "" : "  (external input)"
    }${extra}`;
  };
  const runLine = (id: string) => {
    const r = lineage.runs[id]!;
    const at = r.iteration === null ? r.step : `${r.step}@${r.iteration}`;
    return `${at}  run ${short(id)}  ${r.scenario ?? "-"}  ${formatMs(r.durationMs)}`;
  };
  const producerOf = (id: string) => lineage.artifacts[id]?.producer ?? null;
  // How well the producer `p` continues the column of `run` (0: it does not).
  const rank = (run: Lineage["runs"][string], p: string): number => {
    const producer = lineage.runs[p];
    if (!producer || shownRuns.has(p) || below.has(p)) return 0;
    if (run.iteration === null) return 1;
    if (producer.iteration === run.iteration - 1) return 3;
    return producer.iteration === run.iteration ? 2 : 0;
  };
  // Prints the run `first` and, in a loop, the chain of runs continuing below it.
  const block = (first: string | null, prefix: string): void => {
    let run = first;
    while (run) {
      const r = lineage.runs[run];
      if (!r) {
        if (lineage.truncated) lines.push(`${prefix}└─ … (deeper than --depth ${lineage.depth})`);
        return;
      }
      const seen = shownRuns.get(run);
      if (seen !== undefined || below.has(run)) {
        const where = seen === undefined ? "shown below" : `shown above, line ${seen}`;
        lines.push(`${prefix}└─ ${runLine(run)}  (${where})`);
        return;
      }
      const inputs = Object.entries(r.inputs);
      let next: string | null = null;
      let nextInput: string | null = null;
      let nextSlot: string | undefined;
      let best = 0;
      for (const [slot, id] of inputs) {
        const p = id ? producerOf(id) : null;
        const score = p && p !== run ? rank(r, p) : 0;
        if (
          score > best ||
          (score === best && score > 0 &&
            lineage.runs[p!]!.startedAt > lineage.runs[next!]!.startedAt)
        ) {
          [next, nextInput, nextSlot, best] = [p, id, slot, score];
        }
      }
      // A run the column continues with is a sibling below: `├─`, and `│` beside
      // this run's inputs; the column's last run is `└─`, its inputs beside spaces.
      lines.push(`${prefix}${next ? "├─" : "└─"} ${runLine(run)}`);
      shownRuns.set(run, lines.length);
      if (next) below.add(next);
      const others = inputs.filter(([, id]) => nextInput === null || id !== nextInput);
      const inner = prefix + (next ? "│  " : "   ");
      others.forEach(([name, id], i) => {
        const last = i === others.length - 1 && nextInput === null;
        const branch = last ? "└─ " : "├─ ";
        if (id === null) {
          lines.push(`${inner}${branch}${name}  (absent optional input)`);
          return;
        }
        lines.push(inner + branch + artifactLine(id, name));
        const p = producerOf(id);
        if (p) block(p, inner + (last ? "   " : "│  "));
      });
      if (nextInput) lines.push(`${inner}└─ ${artifactLine(nextInput, nextSlot)}`);
      if (next) below.delete(next);
      run = next;
    }
  };
  if (lineage.rootRun && lineage.runs[lineage.rootRun]) {
    block(lineage.rootRun, "");
  } else {
    for (const root of lineage.roots) {
      lines.push(artifactLine(root));
      block(producerOf(root), "");
    }
  }
};
