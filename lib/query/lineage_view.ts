/**
 * An in-memory view of the derived lineage index: every run's summary, which runs
 * produced and consumed each artifact, and the runs of each step. Loading it is one
 * read of `index/lineage.log`; every query then walks memory only.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { ObjectStore } from "../../store/object_store.ts";
import type { StoreError } from "../../store/errors.ts";
import { decodeRunSummary, LINEAGE_INDEX, type RunSummary } from "../model/lineage_entry.ts";

/** The lineage graph as maps. */
export interface LineageView {
  /** run id → its summary (the newest `run:` entry). */
  readonly runs: ReadonlyMap<string, RunSummary>;
  /** artifact id → runs that produced it, oldest first. */
  readonly producedBy: ReadonlyMap<string, readonly string[]>;
  /** artifact id → runs that consumed it, oldest first. */
  readonly consumedBy: ReadonlyMap<string, readonly string[]>;
  /** step name → its runs, oldest first. */
  readonly stepRuns: ReadonlyMap<
    string,
    readonly { readonly run: string; readonly iteration: number | null }[]
  >;
}

// Most artifacts have one producer and a few consumers: skip the Set for those.
const unique = (values: readonly string[]): readonly string[] =>
  values.length === 1 || (values.length === 2 && values[0] !== values[1])
    ? values
    : [...new Set(values)];

/** Loads the lineage view of the store. */
export const loadLineageView: Effect.Effect<LineageView, StoreError, ObjectStore> = Effect.gen(
  function* () {
    const store = yield* ObjectStore;
    return viewOf(yield* store.index(LINEAGE_INDEX).snapshot());
  },
);

// A plain function rather than the generator's body: V8 optimizes this loop over
// tens of thousands of entries far sooner.
const viewOf = (entries: ReadonlyMap<string, readonly string[]>): LineageView => {
  const runs = new Map<string, RunSummary>();
  const producedBy = new Map<string, readonly string[]>();
  const consumedBy = new Map<string, readonly string[]>();
  const stepRuns = new Map<string, { run: string; iteration: number | null }[]>();
  for (const [key, values] of entries) {
    const colon = key.indexOf(":");
    const kind = key.slice(0, colon);
    const subject = key.slice(colon + 1);
    if (kind === "run") {
      const decoded = decodeRunSummary(values[values.length - 1]!);
      if (decoded) runs.set(decoded.run, decoded.summary);
    } else if (kind === "produced") producedBy.set(subject, unique(values));
    else if (kind === "consumed") consumedBy.set(subject, unique(values));
    else if (kind === "step") {
      const seen = new Set<string>();
      const list: { run: string; iteration: number | null }[] = [];
      for (const v of values) {
        const [run, iteration] = v.split(" ");
        if (!run || seen.has(run)) continue;
        seen.add(run);
        list.push({
          run,
          iteration: iteration === undefined || iteration === "-" ? null : Number(iteration),
        });
      }
      stepRuns.set(subject, list);
    }
  }
  return { runs, producedBy, consumedBy, stepRuns };
};
