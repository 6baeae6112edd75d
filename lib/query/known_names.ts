/**
 * Names a question uses that the store does not know: a scenario, a step, a tag, an
 * output name. Each fails with a `QueryError` that says what was not found and the
 * closest known names ("did you mean …"), so a typo is an error (exit 2), not an
 * empty answer. The store is read only to find what is missing.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import type { ObjectStore } from "../../store/object_store.ts";
import type { StoreError } from "../../store/errors.ts";
import { didYouMean } from "./did_you_mean.ts";
import type { LineageView } from "./lineage_view.ts";
import { QueryError } from "./query_error.ts";
import { scenarioHistory, scenarioNames } from "./scenarios.ts";

/**
 * The error for scenario `name` that is not among `names`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict"
 * import { unknownScenario } from "./known_names.ts"
 *
 * assert.match(unknownScenario("baselien", ["baseline"]).message, /did you mean "baseline"\?/)
 * ```
 */
export const unknownScenario = (name: string, names: readonly string[]): QueryError =>
  new QueryError({
    detail: `Cannot find scenario "${name}": this store has no scenario of that name; ${
      didYouMean(name, names, `list them with "cairn scenarios"`)
    }`,
  });

/** Fails with {@linkcode unknownScenario} unless `name` is a scenario of the store. */
export const requireScenario = (
  name: string,
): Effect.Effect<void, QueryError | StoreError, ObjectStore> =>
  Effect.gen(function* () {
    const names = yield* scenarioNames;
    if (!names.includes(name)) return yield* Effect.fail(unknownScenario(name, names));
  });

// "its steps are "a", "b"" for a few names; too many to read in one line: how many.
const listing = (what: string, names: Iterable<string>): string => {
  const sorted = [...new Set(names)].sort();
  if (sorted.length === 0) return `it has no ${what}`;
  if (sorted.length > 12) return `it has ${sorted.length} ${what}`;
  return `its ${what} are ${sorted.map((n) => `"${n}"`).join(", ")}`;
};

// Every step and tag the scenario records name (read only when a name is missing).
const namesInRecords = Effect.gen(function* () {
  const steps = new Set<string>();
  const tags = new Set<string>();
  // Facet key → the values recorded for it (as `--facet key=value` writes them).
  const facets = new Map<string, Set<string>>();
  for (const name of yield* scenarioNames) {
    for (const entry of yield* scenarioHistory(name)) {
      for (const inv of entry.invocations) steps.add(inv.step);
      for (const tag of entry.tags) tags.add(tag);
      for (const [key, value] of Object.entries(entry.facets)) {
        const values = facets.get(key) ?? new Set<string>();
        values.add(typeof value === "string" ? value : JSON.stringify(value));
        facets.set(key, values);
      }
    }
  }
  return { steps, tags, facets };
});

/**
 * Fails when a filter of `cairn runs` names a scenario, step or tag the store does
 * not know; a known name that matches nothing is fine (an empty answer).
 */
export const requireRunFilterNames = (
  view: LineageView,
  filter: {
    readonly scenario?: string;
    readonly step?: string;
    readonly tag?: string;
    readonly facet?: string;
  },
): Effect.Effect<void, QueryError | StoreError, ObjectStore> =>
  Effect.gen(function* () {
    if (filter.scenario !== undefined) yield* requireScenario(filter.scenario);
    const { step, tag, facet } = filter;
    if (
      (step === undefined || view.stepRuns.has(step)) && tag === undefined && facet === undefined
    ) return;
    // A step whose every invocation failed has no run: the records know it.
    const known = yield* namesInRecords;
    if (step !== undefined && !view.stepRuns.has(step) && !known.steps.has(step)) {
      const steps = [...view.stepRuns.keys(), ...known.steps];
      return yield* Effect.fail(
        new QueryError({
          detail: `Cannot find step "${step}": no step of that name ran in this store; ${
            didYouMean(step, steps, listing("steps", steps))
          }`,
        }),
      );
    }
    if (facet !== undefined) {
      const [key = "", value = ""] = facet.split("=", 2);
      const values = known.facets.get(key);
      if (!values) {
        return yield* Effect.fail(
          new QueryError({
            detail: `Cannot find facet "${key}": no scenario run of this store records it; ${
              didYouMean(key, known.facets.keys(), listing("facets", known.facets.keys()))
            }`,
          }),
        );
      }
      if (!values.has(value)) {
        return yield* Effect.fail(
          new QueryError({
            detail: `Cannot find facet ${key}=${value}: no scenario run of this store has it; ${
              didYouMean(value, values, listing(`values of ${key}`, values))
            }`,
          }),
        );
      }
    }
    if (tag !== undefined && !known.tags.has(tag)) {
      return yield* Effect.fail(
        new QueryError({
          detail: `Cannot find tag "${tag}": no scenario run of this store has it; ${
            didYouMean(tag, known.tags, listing("tags", known.tags))
          }`,
        }),
      );
    }
  });

/** Every output name of a run in the store. */
export const outputNames = (view: LineageView): Set<string> => {
  const names = new Set<string>();
  for (const summary of view.runs.values()) for (const name in summary.outputs) names.add(name);
  return names;
};

/** Fails when no run of the store made an output called `name`. */
export const requireOutputName = (
  view: LineageView,
  name: string,
): Effect.Effect<void, QueryError> => {
  const names = outputNames(view);
  return names.has(name) ? Effect.void : Effect.fail(
    new QueryError({
      detail: `Cannot find output "${name}": no run of this store made an output of that name; ${
        didYouMean(name, names, `list them with "cairn artifacts"`)
      }`,
    }),
  );
};
