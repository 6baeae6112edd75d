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
 * Renders a lineage graph as tree lines. A run's inputs are listed under it; the
 * input made most recently continues *below* the run at the same depth (in an
 * iterative chain: the previous iteration), and the other inputs nest. So a
 * 1,000-iteration chain prints as a column, not a staircase; every run is printed
 * once and later references say on which line.
 */
export const renderLineage = (lineage: Lineage): string[] => {
  const lines: string[] = [];
  const shownRuns = new Map<string, number>();
  const artifactLine = (id: string) => {
    const a = lineage.artifacts[id]!;
    const extra = a.producers > 1 ? `  (made by ${a.producers} runs)` : "";
    return `${a.name}  ${a.kind} ${short(id)}  ${a.codec}  ${formatBytes(a.size)}${
      a.producer ? "" : "  (external input)"
    }${extra}`;
  };
  const runLine = (id: string) => {
    const r = lineage.runs[id]!;
    const at = r.iteration === null ? r.step : `${r.step}@${r.iteration}`;
    return `${at}  run ${short(id)}  ${r.scenario ?? "-"}  ${formatMs(r.durationMs)}`;
  };
  const producerOf = (id: string) => lineage.artifacts[id]?.producer ?? null;
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
      if (seen !== undefined) {
        lines.push(`${prefix}└─ ${runLine(run)}  (shown above, line ${seen})`);
        return;
      }
      lines.push(`${prefix}└─ ${runLine(run)}`);
      shownRuns.set(run, lines.length);
      const inputs = Object.entries(r.inputs);
      // The continuation: the input whose producer started last and is not shown yet.
      let next: string | null = null;
      let nextInput: string | null = null;
      for (const [, id] of inputs) {
        const p = id ? producerOf(id) : null;
        if (!p || shownRuns.has(p) || !lineage.runs[p]) continue;
        if (!next || lineage.runs[p]!.startedAt > lineage.runs[next]!.startedAt) {
          next = p;
          nextInput = id;
        }
      }
      const others = inputs.filter(([, id]) => nextInput === null || id !== nextInput);
      const inner = prefix + "   ";
      others.forEach(([name, id], i) => {
        const last = i === others.length - 1 && nextInput === null;
        const branch = last ? "└─ " : "├─ ";
        if (id === null) {
          lines.push(`${inner}${branch}${name}  (absent optional input)`);
          return;
        }
        lines.push(inner + branch + artifactLine(id));
        const p = producerOf(id);
        if (p) block(p, inner + (last ? "   " : "│  "));
      });
      if (nextInput) lines.push(`${inner}└─ ${artifactLine(nextInput)}`);
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
  return lines;
};
