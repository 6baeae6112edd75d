/**
 * Listing artifacts: every output of every run in the lineage index, newest run
 * first, optionally only one run's or only outputs of one name.
 *
 * @module
 */
import type { LineageView } from "./lineage_view.ts";
import { type IndexedView, isIndexed } from "./indexed_view.ts";
import { QueryError } from "./query_error.ts";
import { idKey } from "../model/query_index_schema.ts";

/** One row: an output of a run. */
export interface ArtifactRow {
  /** The artifact's object id. */
  readonly id: string;
  /** The output name. */
  readonly name: string;
  /** A blob (a file) or a tree (a directory). */
  readonly kind: "blob" | "tree";
  /** The codec that wrote it. */
  readonly codec: string;
  /** Its size in bytes. */
  readonly size: number;
  /** The run that produced it. */
  readonly producer: string;
  /** The producing run's step. */
  readonly step: string;
  /** The producing run's iteration (null outside `iterate`). */
  readonly iteration: number | null;
  /** The producing run's scenario. */
  readonly scenario: string | null;
}

/** Filters of {@linkcode listArtifacts}; both optional, combined with "and". */
export interface ArtifactFilter {
  /** A run id or a unique prefix of one. */
  readonly run?: string;
  /** An output name. */
  readonly name?: string;
}

// Ids starting with a hex prefix have index keys (their first 8 bytes) between the
// prefix padded with 0s and padded with fs; any other prefix is looked for in every id.
const startsWith = (prefix: string): { where: string; args: (string | number)[] } => {
  const head = prefix.slice(0, 16);
  const args = [prefix.length, prefix];
  return /^[0-9a-f]*$/.test(prefix)
    ? {
      where: `${idKey("id")} BETWEEN unhex(?) AND unhex(?) AND substr(id, 1, ?) = ?`,
      args: [head.padEnd(16, "0"), head.padEnd(16, "f"), ...args],
    }
    : { where: "substr(id, 1, ?) = ?", args };
};

// Run ids starting with `prefix` (two at most: enough to tell one from several), by index.
const runsStartingWith = (view: IndexedView, prefix: string): string[] => {
  const { where, args } = startsWith(prefix);
  return (view.prepare(`SELECT id FROM run_summaries WHERE ${where} ORDER BY id LIMIT 2`)
    .all(...args) as { id: string }[]).map((r) => r.id);
};

const countStartingWith = (view: IndexedView, prefix: string): number => {
  const { where, args } = startsWith(prefix);
  return (view.prepare(`SELECT count(*) AS n FROM run_summaries WHERE ${where}`).get(...args) as {
    n: number;
  }).n;
};

const resolveRun = (view: LineageView, prefix: string): string => {
  if (view.runs.has(prefix)) return prefix;
  const matches = isIndexed(view)
    ? runsStartingWith(view, prefix)
    : [...view.runs.keys()].filter((id) => id.startsWith(prefix));
  if (matches.length === 1) return matches[0]!;
  throw new QueryError({
    detail: matches.length === 0
      ? `Cannot find run "${prefix}": no run id starts with it; list runs with "cairn runs"`
      : `Cannot choose run "${prefix}": ${
        isIndexed(view) ? countStartingWith(view, prefix) : matches.length
      } run ids start with it; give more characters`,
  });
};

/**
 * Lists run outputs matching `filter`, newest run first.
 *
 * @throws {QueryError} when `filter.run` matches no run id or several.
 *
 * @example The outputs named `skims`
 * ```ts
 * import { Effect } from "effect"
 * import { ObjectStore } from "../../store/object_store.ts"
 * import { listArtifacts } from "./artifacts.ts"
 * import { loadLineageView } from "./lineage_view.ts"
 *
 * const rows = loadLineageView.pipe(
 *   Effect.map((view) => listArtifacts(view, { name: "skims" })),
 *   Effect.provide(ObjectStore.layer({ root: ".cairn" })),
 * )
 * ```
 */
export const listArtifacts = (
  view: LineageView,
  filter: ArtifactFilter = {},
): ArtifactRow[] => {
  const runs = filter.run === undefined ? undefined : [resolveRun(view, filter.run)];
  const rows = isIndexed(view)
    ? indexedRows(view, runs?.[0], filter.name)
    : logRows(view, runs ?? [...view.runs.keys()], filter.name);
  // Runs of one iteration can start in the same millisecond: later iterations first, then by id.
  rows.sort((a, b) =>
    compare(b.startedAt, a.startedAt) || (b.iteration ?? -1) - (a.iteration ?? -1) ||
    compare(a.producer, b.producer) || compare(a.name, b.name)
  );
  return rows.map(({ startedAt: _, ...row }) => row);
};

type Unsorted = ArtifactRow & { startedAt: string };

// The outputs of one run or of all, with a name or any, by index.
const indexedRows = (
  view: IndexedView,
  run: string | undefined,
  name: string | undefined,
): Unsorted[] => {
  const where = [
    ...(run !== undefined ? [`${idKey("r.id")} = ${idKey(":run")} AND r.id = :run`] : []),
    ...(name !== undefined ? ["o.name = :name"] : []),
  ];
  const statement = view.prepare(
    `SELECT o.artifact AS id, o.name, o.kind, o.codec, o.size, r.id AS producer, r.step,
       r.iteration, r.scenario, r.started_at AS startedAt
     FROM run_outputs o JOIN run_summaries r ON r.seq = o.seq
     ${where.length ? `WHERE ${where.join(" AND ")}` : ""}`,
  );
  return statement.all({
    ...(run !== undefined ? { run } : {}),
    ...(name !== undefined ? { name } : {}),
  }) as unknown as Unsorted[];
};

const logRows = (
  view: LineageView,
  runs: readonly string[],
  name: string | undefined,
): Unsorted[] => {
  const filter = { name };
  const rows: Unsorted[] = [];
  for (const producer of runs) {
    const s = view.runs.get(producer)!;
    for (const [name, ref] of Object.entries(s.outputs)) {
      if (filter.name !== undefined && name !== filter.name) continue;
      rows.push({
        id: ref.id,
        name,
        kind: ref.kind,
        codec: ref.codec,
        size: ref.size,
        producer,
        step: s.step,
        iteration: s.iteration,
        scenario: s.scenario,
        startedAt: s.startedAt,
      });
    }
  }
  return rows;
};

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
