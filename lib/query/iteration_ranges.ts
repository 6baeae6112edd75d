/**
 * A list of iterations as ranges, the way every listing prints them.
 *
 * @module
 */

/**
 * Sorted, as ranges: `0–9, 12, 14–15`; `(no iteration)` first for a `null`; `-` for none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict"
 * import { iterationRanges } from "./iteration_ranges.ts"
 *
 * assert.equal(iterationRanges([3, 0, 1, 2, 7]), "0–3, 7")
 * assert.equal(iterationRanges([]), "-")
 * ```
 */
export const iterationRanges = (iterations: readonly (number | null)[]): string => {
  const nums = [...new Set(iterations.filter((i): i is number => i !== null))].sort((a, b) =>
    a - b
  );
  const parts: string[] = [];
  for (let i = 0; i < nums.length; i++) {
    let j = i;
    while (j + 1 < nums.length && nums[j + 1] === nums[j]! + 1) j++;
    parts.push(j === i ? `${nums[i]}` : `${nums[i]}–${nums[j]}`);
    i = j;
  }
  if (iterations.includes(null)) parts.unshift("(no iteration)");
  return parts.length > 0 ? parts.join(", ") : "-";
};
