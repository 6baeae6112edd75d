/**
 * The cache index's values (`index/cache.log`, key → value; the newest value of a
 * key wins):
 *
 * - `<run id> <outputs JSON>` — the run that computed the key, and its outputs as
 *   `{ name: [id, kind, codec, size] }` with names sorted;
 * - `dropped <run id>` — a tombstone: that run's outputs are damaged or gone (set
 *   aside by a read or by `cairn fsck --repair`), so the key is a miss until a new
 *   run of it is recorded.
 *
 * A value is only a claim: the hit path checks the run record it names.
 *
 * @module
 */
import type { ArtifactRef } from "./artifact.ts";

/** The cache index's name. */
export const CACHE_INDEX = "cache";

/** A decoded cache value: the run and its outputs. */
export interface CacheEntry {
  readonly run: string;
  readonly outputs: Record<string, ArtifactRef>;
}

/**
 * The value recording `run` as the computation of its key.
 *
 * @example
 * ```ts
 * import { decodeCacheValue, encodeCacheValue } from "./cache_entry.ts"
 *
 * const run = "a".repeat(64)
 * const value = encodeCacheValue(run, { y: { id: "b".repeat(64), kind: "blob", codec: "json", size: 2 } })
 * decodeCacheValue(value)?.outputs.y?.size // 2
 * ```
 */
export const encodeCacheValue = (
  run: string,
  outputs: Readonly<Record<string, ArtifactRef>>,
): string =>
  `${run} ${
    JSON.stringify(
      Object.fromEntries(
        Object.entries(outputs).sort(([a], [b]) => (a < b ? -1 : 1)).map((
          [k, o],
        ) => [k, [o.id, o.kind, o.codec, o.size]]),
      ),
    )
  }`;

/** The value that withdraws `run`'s entry (its outputs are damaged or gone). */
export const droppedCacheValue = (run: string): string => `dropped ${run}`;

/** The run a tombstone withdrew, or undefined when `value` is not a tombstone. */
export const droppedRun = (value: string): string | undefined =>
  /^dropped ([0-9a-f]{64})$/.exec(value)?.[1];

/** A value read back: undefined for a tombstone or anything that does not decode. */
export const decodeCacheValue = (value: string): CacheEntry | undefined => {
  const space = value.indexOf(" ");
  if (space !== 64 || !/^[0-9a-f]{64}$/.test(value.slice(0, 64))) return undefined;
  try {
    const raw = JSON.parse(value.slice(65)) as Record<string, unknown>;
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return undefined;
    const outputs: Record<string, ArtifactRef> = {};
    for (const [name, ref] of Object.entries(raw)) {
      if (!Array.isArray(ref) || ref.length !== 4) return undefined;
      const [id, kind, codec, size] = ref;
      if (
        typeof id !== "string" || (kind !== "blob" && kind !== "tree") ||
        typeof codec !== "string" || typeof size !== "number"
      ) return undefined;
      outputs[name] = { id, kind, codec, size };
    }
    return { run: value.slice(0, 64), outputs };
  } catch {
    return undefined;
  }
};
