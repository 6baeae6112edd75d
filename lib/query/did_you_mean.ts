/**
 * "Did you mean …": the known names closest to a misspelt one, by edit distance
 * (insertions, deletions, substitutions and swaps of two neighbours each count
 * one), so `congestoin` finds `congestion` and `equilibirum` finds `equilibrium`.
 * Pure; the queries word their own messages around it.
 *
 * @module
 */

// Optimal string alignment distance: Levenshtein plus adjacent transpositions.
const distance = (a: string, b: string): number => {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      }
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
};

/**
 * The names in `known` closest to `given`, best first (at most `max`): those within
 * about a third of its length in edits, ignoring case; none when nothing is close.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict"
 * import { closestNames } from "./did_you_mean.ts"
 *
 * assert.deepEqual(closestNames("congestoin", ["assignment", "congestion", "logsums"]), ["congestion"])
 * assert.deepEqual(closestNames("zzz", ["congestion"]), [])
 * ```
 */
export const closestNames = (given: string, known: Iterable<string>, max = 3): string[] => {
  const limit = Math.max(1, Math.ceil(given.length / 3));
  const scored = [...new Set(known)]
    .map((name) => ({ name, d: distance(given.toLowerCase(), name.toLowerCase()) }))
    .filter((s) => s.d <= limit && s.name !== given)
    .sort((a, b) => a.d - b.d || (a.name < b.name ? -1 : 1));
  const best = scored[0]?.d;
  // Only the best-scoring names: a distance-1 match makes the distance-3 ones noise.
  return scored.filter((s) => s.d === best).slice(0, max).map((s) => s.name);
};

/**
 * `did you mean "a"?` (or `"a" or "b"`) for the closest names, else `fallback`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict"
 * import { didYouMean } from "./did_you_mean.ts"
 *
 * assert.equal(didYouMean("equilibirum", ["equilibrium"], "list them"), 'did you mean "equilibrium"?')
 * assert.equal(didYouMean("x", [], "list them"), "list them")
 * ```
 */
export const didYouMean = (given: string, known: Iterable<string>, fallback: string): string => {
  const close = closestNames(given, known).map((n) => `"${n}"`);
  if (close.length === 0) return fallback;
  const last = close.pop()!;
  return `did you mean ${close.length > 0 ? `${close.join(", ")} or ${last}` : last}?`;
};
