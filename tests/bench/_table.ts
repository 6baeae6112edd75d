// Renders section results as one aligned plain-text table.
import type { Row, SectionResult } from "./_section.ts";
import { formatRatio } from "./_measure.ts";

interface Column {
  readonly header: string;
  readonly right: boolean;
  readonly cell: (row: Row) => string;
}

const verdict = (row: Row): string =>
  row.target === undefined ? "" : row.pass === undefined ? "n/a" : row.pass ? "PASS" : "MISS";

const COLUMNS: readonly Column[] = [
  { header: "measure", right: false, cell: (row) => `  ${row.measure}` },
  { header: "cairn", right: true, cell: (row) => row.cairn },
  { header: "peer", right: false, cell: (row) => row.peer ?? "—" },
  { header: "peer figure", right: true, cell: (row) => row.peerFigure ?? "" },
  {
    header: "× faster",
    right: true,
    cell: (row) => (row.ratio === undefined ? "" : formatRatio(row.ratio)),
  },
  { header: "target", right: false, cell: (row) => row.target ?? "" },
  { header: "result", right: false, cell: verdict },
  { header: "note", right: false, cell: (row) => row.note ?? "" },
];

const paint = (text: string, color: boolean): string => {
  if (!color) return text;
  if (text.startsWith("PASS")) return `\x1b[32m${text}\x1b[0m`;
  if (text.startsWith("MISS")) return `\x1b[31m${text}\x1b[0m`;
  return text;
};

/**
 * The results as an aligned table, one block per section. `color` marks PASS and
 * MISS in green and red (only for a terminal); widths are computed on the plain text.
 */
export const formatTable = (results: readonly SectionResult[], color: boolean): string => {
  const cells = results.map((result) => result.rows.map((row) => COLUMNS.map((c) => c.cell(row))));
  const widths = COLUMNS.map((column, i) =>
    Math.max(column.header.length, ...cells.flat().map((line) => line[i]!.length))
  );
  const render = (line: readonly string[]): string =>
    line.map((text, i) => {
      const padded = COLUMNS[i]!.right ? text.padStart(widths[i]!) : text.padEnd(widths[i]!);
      return paint(padded, color);
    }).join("  ").trimEnd();
  const total = widths.reduce((sum, w) => sum + w, 0) + 2 * (widths.length - 1);
  const out = [render(COLUMNS.map((c) => c.header)), "─".repeat(total)];
  results.forEach((result, i) => {
    out.push(result.title);
    for (const line of cells[i]!) out.push(render(line));
  });
  return out.join("\n");
};
