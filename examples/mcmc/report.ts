/**
 * Text for main.ts: which blocks a run reused and which it ran, and the
 * convergence summary as a table.
 *
 * @module
 */
import type { Invocation } from "../../mod.ts";
import type { Summary } from "./summarize.ts";

/** `[0,1,2,5,6]` → `"0–2, 5–6"`; `"none"` when empty. */
const ranges = (numbers: readonly number[]): string => {
  const parts: string[] = [];
  for (let i = 0; i < numbers.length;) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j]! + 1) j++;
    parts.push(i === j ? `${numbers[i]}` : `${numbers[i]}–${numbers[j]}`);
    i = j + 1;
  }
  return parts.length ? parts.join(", ") : "none";
};

/**
 * One line saying which blocks of a run were reused (cache hits) and which ran.
 *
 * @example
 * ```ts
 * import { reuseLine } from "./report.ts"
 *
 * reuseLine([{ step: "mcmc_block", iteration: 0, run: "r", hit: true, durationMs: 1, status: "ok" }])
 * // "blocks reused: 0; blocks run: none"
 * ```
 */
export const reuseLine = (invocations: readonly Invocation[], step = "mcmc_block"): string => {
  const blocks = invocations.filter((i) => i.step === step && i.iteration !== null);
  const reused = blocks.filter((i) => i.hit).map((i) => i.iteration!);
  const ran = blocks.filter((i) => !i.hit).map((i) => i.iteration!);
  return `blocks reused: ${ranges(reused)}; blocks run: ${ranges(ran)}`;
};

const fixed = (v: number, digits = 3) => (v < 0 ? "" : " ") + v.toFixed(digits);

/**
 * The convergence summary as lines of text.
 *
 * @example
 * ```ts ignore
 * console.log(summaryLines(summary).join("\n"))
 * ```
 */
export const summaryLines = (summary: Summary): string[] => {
  const names = summary.coordinates.map((c) => c.name);
  const header = [
    "block",
    "accept",
    ...names.map((n) => `mean ${n}`),
    ...names.map((n) => `running ${n}`),
  ];
  const lines = [header.map((h) => h.padStart(11)).join("")];
  for (const b of summary.blocks) {
    const running = b.runningMean?.map((v) => fixed(v)) ?? names.map(() => "warm-up");
    lines.push(
      [String(b.block), fixed(b.acceptance), ...b.mean.map((v) => fixed(v)), ...running]
        .map((c) => c.padStart(11)).join(""),
    );
  }
  lines.push(
    "",
    `after ${summary.warmupBlocks} warm-up block(s): ${summary.draws} draws, acceptance ${
      summary.acceptance.toFixed(3)
    }`,
  );
  for (const c of summary.coordinates) {
    const z = (c.mean - c.trueMean) / c.mcse;
    lines.push(
      `  ${c.name}: mean ${fixed(c.mean)} ± ${c.mcse.toFixed(3)} (MCSE; true ${c.trueMean}, ${
        z.toFixed(1)
      } MCSE off), sd ${c.sd.toFixed(3)}, ESS ${c.ess.toFixed(0)} (batch means), split-R̂ ${
        c.splitRhat.toFixed(3)
      }`,
    );
  }
  return lines;
};
