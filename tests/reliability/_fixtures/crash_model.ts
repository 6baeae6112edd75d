// The computation of the reliability pipeline (crash_pipeline.ts), as pure functions
// the child's steps call and the parent calls too: the parent computes the expected
// final state without cairn, so "the same result as an uninterrupted run" is checked
// against something the store cannot have damaged.
import { createHash } from "node:crypto";
import { payload } from "../../store/_fixtures/payload.ts";

const MiB = 1 << 20;

/** What one iteration makes, derived from the state `x` it starts from. */
export interface Params {
  readonly x: number;
  readonly iteration: number;
  readonly seed: string;
  /** Size of the `field` file: 2–8 MiB. */
  readonly fieldSize: number;
  /** Chunk files in the `grid` directory: 3–7. */
  readonly chunks: number;
}

/** The first state of variant `variant`. */
export const initialState = (variant: number): number => (variant * 7919 + 17) >>> 0;

export const paramsOf = (x: number, iteration: number): Params => ({
  x,
  iteration,
  seed: `${x}-${iteration}`,
  fieldSize: 2 * MiB + (Math.imul(x, 2654435761) >>> 0) % (6 * MiB),
  chunks: 3 + (x % 5),
});

/** The bytes of the `field` output. */
export const fieldBytes = (p: Params): Uint8Array => payload(`field-${p.seed}`, p.fieldSize);

/** The files of the `grid` output, by relative path: small metadata and chunks up to ~400 KiB. */
export const gridFiles = (p: Params): Map<string, Uint8Array> => {
  const files = new Map<string, Uint8Array>();
  files.set(
    ".zattrs",
    new TextEncoder().encode(JSON.stringify({ seed: p.seed, chunks: p.chunks })),
  );
  for (let c = 0; c < p.chunks; c++) {
    const size = c % 2 === 0 ? 64 + c * 97 : 96 * 1024 * c + p.iteration;
    files.set(`c/0.${c}`, payload(`grid-${p.seed}-${c}`, size));
  }
  files.set("meta/nested/info.json", new TextEncoder().encode(`{"iteration":${p.iteration}}`));
  return files;
};

/** The next state: a digest of what the iteration made. */
export const reduceState = (
  p: Params,
  field: Uint8Array,
  grid: ReadonlyMap<string, Uint8Array>,
): number => {
  const hash = createHash("sha256").update(p.seed).update(field);
  for (const name of [...grid.keys()].sort()) hash.update(name).update(grid.get(name)!);
  return parseInt(hash.digest("hex").slice(0, 8), 16);
};

/** The final state after `iterations` iterations of variant `variant`, without cairn. */
export const expectedFinal = (variant: number, iterations: number): number => {
  let x = initialState(variant);
  for (let i = 0; i < iterations; i++) {
    const p = paramsOf(x, i);
    x = reduceState(p, fieldBytes(p), gridFiles(p));
  }
  return x;
};
