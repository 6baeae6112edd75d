// Text formatting for the demo: aligned tables, iteration ranges, durations.

/** Rows as aligned columns; a column whose header starts with ">" is right-aligned. */
export const table = (
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string[] => {
  const right = headers.map((h) => h.startsWith(">"));
  const names = headers.map((h) => h.replace(/^>/, ""));
  const widths = names.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, c) => right[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))
      .join("  ").trimEnd();
  return [line(names), line(widths.map((w) => "─".repeat(w))), ...rows.map(line)];
};

/** Iterations as ranges: [0, 1, 2, 5] → "0–2, 5"; none → "—". */
export const ranges = (values: readonly number[]): string => {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}–${sorted[j]}`);
    i = j;
  }
  return parts.length ? parts.join(", ") : "—";
};

/** Seconds with two decimals. */
export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** A percentage with one decimal. */
export const percent = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** A whole number with thousands separators. */
export const whole = (x: number): string => Math.round(x).toLocaleString("en-US");

/** The files under `dir`, recursively, as [relative path, size in bytes], sorted. */
export const listFiles = (dir: string, prefix = ""): [string, number][] => {
  const out: [string, number][] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) out.push(...listFiles(path, `${prefix}${entry.name}/`));
    else out.push([`${prefix}${entry.name}`, Deno.statSync(path).size]);
  }
  return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
};
