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

/** Renders a lineage graph as tree lines. */
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
  const walkArtifact = (id: string, prefix: string, last: boolean, top: boolean) => {
    const branch = top ? "" : last ? "└─ " : "├─ ";
    lines.push(prefix + branch + artifactLine(id));
    const producer = lineage.artifacts[id]!.producer;
    if (!producer) return;
    const inner = top ? prefix : prefix + (last ? "   " : "│  ");
    walkRun(producer, inner);
  };
  const walkRun = (id: string, prefix: string) => {
    const run = lineage.runs[id];
    if (!run) {
      if (lineage.truncated) lines.push(`${prefix}└─ … (deeper than --depth ${lineage.depth})`);
      return;
    }
    const seen = shownRuns.get(id);
    if (seen !== undefined) {
      lines.push(`${prefix}└─ ${runLine(id)}  (shown above, line ${seen})`);
      return;
    }
    lines.push(`${prefix}└─ ${runLine(id)}`);
    shownRuns.set(id, lines.length);
    const inputs = Object.entries(run.inputs);
    inputs.forEach(([name, input], i) => {
      const last = i === inputs.length - 1;
      if (input === null) {
        lines.push(`${prefix}   ${last ? "└─ " : "├─ "}${name}  (absent optional input)`);
      } else if (lineage.artifacts[input]) walkArtifact(input, prefix + "   ", last, false);
    });
  };
  if (lineage.rootRun && lineage.runs[lineage.rootRun]) {
    walkRun(lineage.rootRun, "");
  } else {
    for (const root of lineage.roots) walkArtifact(root, "", true, true);
  }
  return lines;
};
