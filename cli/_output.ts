/**
 * Printing for the commands: aligned tables, colour only on a terminal (and never
 * with `NO_COLOR` set), `--json`, and writes that end quietly when the reader of a
 * pipe goes away (`cairn lineage x | head`).
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Flag from "effect/cli/Flag";
import { iterationRanges } from "../lib/query/iteration_ranges.ts";

/** `--json`: print the documented JSON shape instead of text. */
export const jsonFlag: Flag.Flag<boolean> = Flag.Boolean("json").pipe(
  Flag.withDescription("Print JSON (the shape is documented in the README)"),
  Flag.withDefault(false),
);

const encoder = new TextEncoder();

// Writes all of `bytes`; false once the reader has closed the pipe.
const writeAll = (bytes: Uint8Array): boolean => {
  let offset = 0;
  try {
    while (offset < bytes.length) offset += Deno.stdout.writeSync(bytes.subarray(offset));
  } catch (e) {
    if (e instanceof Deno.errors.BrokenPipe) return false;
    throw e;
  }
  return true;
};

/**
 * Appends `more` to `lines` one by one: `lines.push(...more)` passes each as an
 * argument, and past ~120,000 of them throws (a listing of every run of a large store).
 */
export const appendAll = (lines: string[], more: readonly string[]): void => {
  for (const line of more) lines.push(line);
};

/** Prints lines to stdout in one write. */
export const printLines = (lines: readonly string[]): Effect.Effect<void> =>
  Effect.sync(() => {
    if (lines.length > 0) writeAll(encoder.encode(lines.join("\n") + "\n"));
  });

/**
 * A writer of lines to stdout in chunks of about 64 KiB, for output too long to
 * hold (a full lineage): `line` adds one, `end` writes the rest. After the reader
 * has closed the pipe, lines are dropped.
 */
export const lineWriter = (): { line: (text: string) => void; end: () => void } => {
  let chunk = "";
  let open = true;
  const flush = () => {
    if (open && chunk.length > 0) open = writeAll(encoder.encode(chunk));
    chunk = "";
  };
  return {
    line: (text) => {
      chunk += text + "\n";
      if (chunk.length >= 1 << 16) flush();
    },
    end: flush,
  };
};

/** Prints `value` as indented JSON. */
export const printJson = (value: unknown): Effect.Effect<void> =>
  printLines([JSON.stringify(value, null, 2)]);

/** Prints text to stdout as it is (a graph, JSON lines). */
export const printText = (text: string): Effect.Effect<void> =>
  Effect.sync(() => {
    writeAll(encoder.encode(text.endsWith("\n") || text === "" ? text : text + "\n"));
  });

/** Whether stdout gets colour: a terminal, and `NO_COLOR` unset or empty. */
export const useColor = (): boolean => !Deno.env.get("NO_COLOR") && Deno.stdout.isTerminal();

const paint = (code: string) => (text: string): string =>
  useColor() ? `\x1b[${code}m${text}\x1b[0m` : text;

/** Styles that are no-ops without colour. */
export const style = {
  bold: paint("1"),
  dim: paint("2"),
  red: paint("31"),
  green: paint("32"),
  yellow: paint("33"),
  cyan: paint("36"),
};

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const SURROGATE = /[\ud800-\udfff]/;
const ENDS_BLANK = /\s$/;
// deno-lint-ignore no-control-regex
const ESCAPE_OR_SURROGATE = /[\x1b\ud800-\udfff]/;
// Columns `text` takes: code points, without colour codes (a surrogate pair is one).
// Most cells have neither, and a listing can have hundreds of thousands: one test.
const width = (text: string): number => {
  if (!ESCAPE_OR_SURROGATE.test(text)) return text.length;
  const plain = text.includes("\x1b") ? text.replace(ANSI, "") : text;
  return SURROGATE.test(plain) ? [...plain].length : plain.length;
};

/**
 * Lays out rows as columns separated by two spaces; `right` lists the columns
 * aligned right (numbers). The header, if given, is bold.
 *
 * @example
 * ```ts
 * import { table } from "./_output.ts"
 *
 * table(["step", "runs"], [["grow", "3"], ["smooth", "12"]], [1])
 * // ["step    runs", "grow       3", "smooth    12"] (the header bold on a terminal)
 * ```
 */
export const table = (
  header: readonly string[] | null,
  rows: readonly (readonly string[])[],
  right: readonly number[] = [],
): string[] => {
  const all = header ? [header, ...rows] : rows;
  // Loops, not a row of widths per row: a listing can have hundreds of thousands of rows.
  // Each cell measured once (a listing's cells are mostly short ASCII, but a test per
  // cell of 240,000 was a tenth of an impact's layout), in row order.
  const widths: number[] = [];
  const cellWidths: number[] = [];
  for (const row of all) {
    for (let i = 0; i < row.length; i++) {
      const w = width(row[i]!);
      cellWidths.push(w);
      if (w > (widths[i] ?? -1)) widths[i] = w;
    }
  }
  let cellAt = 0;
  const alignRight = widths.map((_, i) => right.includes(i));
  const pads: string[] = [];
  const pad = (n: number) => (pads[n] ??= " ".repeat(n));
  const line = (row: readonly string[]) => {
    let text = "";
    for (let i = 0; i < row.length; i++) {
      const cell = row[i]!;
      const w = cellWidths[cellAt++]!;
      if (i > 0) text += "  ";
      if (i === row.length - 1 && !alignRight[i]) {
        text += cell;
        continue;
      }
      const fill = pad(widths[i]! - w);
      text += alignRight[i] ? fill + cell : cell + fill;
    }
    // Only a row ending in blank (an empty last cell, say) has an end to trim: asking
    // its last cell spares trimming — a copy of the line — for all the others.
    const last = row.at(-1);
    return last && !alignRight[row.length - 1] && !ENDS_BLANK.test(last) ? text : text.trimEnd();
  };
  const lines = all.map(line);
  if (header) lines[0] = style.bold(lines[0]!);
  return lines;
};

/** The first 12 characters of an id, as every listing shows ids. */
export const short = (id: string | null | undefined): string => (id ? id.slice(0, 12) : "-");

/** `step@iteration`, or the step alone outside `iterate`. */
export const stepAt = (step: string, iteration: number | null): string =>
  iteration === null ? step : `${step}@${iteration}`;

/**
 * A sorted list of iterations as ranges: `0–9, 12, 14–15`; `-` for none.
 *
 * @example
 * ```ts
 * import { ranges } from "./_output.ts"
 *
 * ranges([3, 0, 1, 2, 7]) // "0–3, 7"
 * ```
 */
export const ranges: (iterations: readonly (number | null)[]) => string = iterationRanges;

/**
 * `1 run`, `2 runs`; `irregular` for words like entry → entries.
 *
 * @example
 * ```ts
 * import { plural } from "./_output.ts"
 *
 * plural(2, "index entry", "index entries") // "2 index entries"
 * ```
 */
export const plural = (n: number, word: string, irregular = `${word}s`): string =>
  `${n} ${n === 1 ? word : irregular}`;
