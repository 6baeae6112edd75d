/**
 * The convergence summary of a chain stored as per-block sample tables: per-block
 * acceptance and means, the running mean after each block, and over the draws
 * after warm-up the mean, its Monte Carlo standard error, the effective sample
 * size by batch means and split-R̂ (see `diagnostics.ts` for which estimators).
 *
 * @module
 */
import type { TableValue } from "../../mod.ts";
import { batchMeans, splitRhat } from "./diagnostics.ts";
import { type Target, trueMean } from "./target.ts";

/** One block's line of the summary. */
export interface BlockSummary {
  readonly block: number;
  readonly draws: number;
  readonly acceptance: number;
  readonly mean: readonly number[];
  /** Mean of all draws after warm-up up to this block; null during warm-up. */
  readonly runningMean: readonly number[] | null;
}

/** One coordinate's estimates over the draws after warm-up. */
export interface CoordinateSummary {
  readonly name: string;
  readonly mean: number;
  readonly sd: number;
  readonly mcse: number;
  readonly ess: number;
  readonly splitRhat: number;
  readonly trueMean: number;
}

/** The summary (plain JSON). */
export interface Summary {
  readonly blocks: readonly BlockSummary[];
  readonly warmupBlocks: number;
  /** Draws after warm-up, and their acceptance rate. */
  readonly draws: number;
  readonly acceptance: number;
  readonly coordinates: readonly CoordinateSummary[];
}

/** Settings of {@linkcode summarize}. */
export interface SummarizeOptions {
  /** Leading blocks left out of the estimates (the chain is still finding the mass). */
  readonly warmupBlocks: number;
  readonly target: Target;
}

const avg = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/**
 * Summarizes blocks of samples (rows with `x0`, `x1`, … and `accepted` columns), in chain order.
 *
 * @example
 * ```ts
 * import { summarize } from "./summarize.ts"
 *
 * const block = Array.from({ length: 8 }, (_, i) => ({ x0: i % 3, accepted: i % 2 === 0 }))
 * const s = summarize([block, block], { warmupBlocks: 1, target: { kind: "normal", dim: 1 } })
 * s.acceptance // 0.5
 * ```
 */
export const summarize = (blocks: readonly TableValue[], options: SummarizeOptions): Summary => {
  const { warmupBlocks, target } = options;
  if (!Number.isInteger(warmupBlocks) || warmupBlocks < 0 || warmupBlocks >= blocks.length) {
    throw new Error(
      `Cannot summarize: ${warmupBlocks} warm-up blocks leave none of ${blocks.length} blocks`,
    );
  }
  const names = Object.keys(blocks[0]![0] ?? {}).filter((c) => /^x\d+$/.test(c))
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  const kept: number[][] = names.map(() => []);
  let accepted = 0;
  const lines = blocks.map((rows, block): BlockSummary => {
    const columns = names.map((name) => rows.map((row) => Number(row[name])));
    const acceptance = rows.filter((row) => row.accepted === true).length / rows.length;
    if (block >= warmupBlocks) {
      columns.forEach((column, d) => kept[d]!.push(...column));
      accepted += acceptance * rows.length;
    }
    return {
      block,
      draws: rows.length,
      acceptance,
      mean: columns.map(avg),
      runningMean: block >= warmupBlocks ? kept.map(avg) : null,
    };
  });
  const truth = trueMean(target);
  return {
    blocks: lines,
    warmupBlocks,
    draws: kept[0]?.length ?? 0,
    acceptance: accepted / (kept[0]?.length ?? 1),
    coordinates: names.map((name, d) => {
      const draws = kept[d]!;
      const mean = avg(draws);
      const sd = Math.sqrt(draws.reduce((s, x) => s + (x - mean) ** 2, 0) / (draws.length - 1));
      return {
        name,
        mean,
        sd,
        ...batchMeans(draws),
        splitRhat: splitRhat(draws),
        trueMean: truth[d]!,
      };
    }),
  };
};
