/**
 * Skims on disk as a zarr (v3) directory through zarrita: arrays `time` and
 * `cost` of shape [mode, origin, destination], the mode names in their
 * attributes. zarrita's filesystem store (node:fs) works unchanged under Deno.
 * A zarr directory is many small files; cairn stores it as one tree.
 *
 * @module
 */
import * as Data from "effect/Data";
import * as Effect from "effect/Effect";
import * as zarr from "zarrita";
import FileSystemStore from "@zarrita/storage/fs";
import { type Mode, MODES } from "./config.ts";
import type { Skims } from "./model/skims.ts";

/** Skims could not be written or read. */
export class SkimsIoError extends Data.TaggedError("SkimsIoError")<{
  readonly path: string;
  readonly detail: string;
}> {
  override get message(): string {
    return `Cannot access skims at "${this.path}": ${this.detail}`;
  }
}

const attempt = <A>(path: string, f: () => Promise<A>) =>
  Effect.tryPromise({
    try: f,
    catch: (e) => new SkimsIoError({ path, detail: e instanceof Error ? e.message : String(e) }),
  });

/**
 * Writes skims as a zarr directory at `path` (created).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { DEFAULT_CONFIG } from "./config.ts"
 * import { distanceMatrix, freeFlowSkims } from "./model/skims.ts"
 * import { writeSkims } from "./zarr_skims.ts"
 *
 * const skims = freeFlowSkims(distanceMatrix([0, 2], 0.7), DEFAULT_CONFIG.network)
 * await Effect.runPromise(writeSkims(Deno.makeTempDirSync() + "/skims", skims))
 * ```
 */
export const writeSkims = (path: string, skims: Skims): Effect.Effect<void, SkimsIoError> =>
  attempt(path, async () => {
    const n = skims.zones;
    const root = zarr.root(new FileSystemStore(path));
    await zarr.create(root, { attributes: { modes: [...MODES], zones: n } });
    for (const measure of ["time", "cost"] as const) {
      const data = new Float64Array(MODES.length * n * n);
      MODES.forEach((mode, m) => data.set(skims[measure][mode], m * n * n));
      const array = await zarr.create(root.resolve(measure), {
        shape: [MODES.length, n, n],
        chunkShape: [MODES.length, n, n],
        dtype: "float64",
        dimensionNames: ["mode", "origin", "destination"],
        attributes: { units: measure === "time" ? "minutes" : "dollars" },
      });
      await zarr.set(array, null, { data, shape: [MODES.length, n, n], stride: [n * n, n, 1] });
    }
  });

/**
 * Reads skims written by {@linkcode writeSkims}.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { readSkims } from "./zarr_skims.ts"
 *
 * const read = (path: string) => Effect.runPromise(readSkims(path))
 * ```
 */
export const readSkims = (path: string): Effect.Effect<Skims, SkimsIoError> =>
  attempt(path, async () => {
    const root = zarr.root(new FileSystemStore(path));
    const group = await zarr.open(root, { kind: "group" });
    const modes = group.attrs.modes as Mode[];
    if (modes.join() !== MODES.join()) {
      throw new Error(`modes are [${modes.join(", ")}], expected [${MODES.join(", ")}]`);
    }
    const read = async (measure: "time" | "cost") => {
      const array = await zarr.open(root.resolve(measure), { kind: "array" });
      if (array.dtype !== "float64") throw new Error(`${measure} is ${array.dtype}, not float64`);
      const chunk = await zarr.get(array);
      const n = chunk.shape[1]!;
      const data = chunk.data as Float64Array;
      const byMode = {} as Record<Mode, Float64Array>;
      MODES.forEach((mode, m) => (byMode[mode] = data.slice(m * n * n, (m + 1) * n * n)));
      return { n, byMode };
    };
    const time = await read("time");
    const cost = await read("cost");
    return { zones: time.n, time: time.byMode, cost: cost.byMode };
  });
