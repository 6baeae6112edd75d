/**
 * `<scenario> <step@iteration>`: the invocation a question names in a scenario's
 * newest record, for `why` and `logs`. What is not there fails with a `QueryError`
 * that says what the record has instead: the closest scenario or step names, or the
 * iterations at which the step ran.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import type { ObjectStore } from "../../store/object_store.ts";
import type { StoreError } from "../../store/errors.ts";
import { closestNames } from "./did_you_mean.ts";
import { iterationRanges } from "./iteration_ranges.ts";
import { unknownScenario } from "./known_names.ts";
import { QueryError } from "./query_error.ts";
import type { LineageView } from "./lineage_view.ts";
import { historyOf, type ScenarioInvocation, scenarioNames } from "./scenarios.ts";

/** `step@3` → step and iteration; `step` alone → iteration null. */
export const parseStepAt = (text: string): { step: string; iteration: number | null } => {
  const at = text.lastIndexOf("@");
  if (at < 0) return { step: text, iteration: null };
  const iteration = Number(text.slice(at + 1));
  return { step: text.slice(0, at), iteration: Number.isInteger(iteration) ? iteration : null };
};

const stepAtText = (step: string, iteration: number | null) =>
  iteration === null ? step : `${step}@${iteration}`;

/**
 * The newest invocation of `stepAt` (`step@iteration`, or `step` outside `iterate`)
 * in the newest record of scenario `scenario` (read through `view`).
 */
export const findInvocation = (
  view: LineageView,
  scenario: string,
  stepAt: string,
): Effect.Effect<ScenarioInvocation, QueryError | StoreError, ObjectStore> =>
  Effect.gen(function* () {
    const { step, iteration } = parseStepAt(stepAt);
    // From the query index when the view is one (no record read).
    const [newest] = yield* historyOf(view, scenario, 1);
    if (!newest) return yield* Effect.fail(unknownScenario(scenario, yield* scenarioNames));
    const invocations = newest.invocations;
    const found = [...invocations].reverse().find((i) =>
      i.step === step && i.iteration === iteration
    );
    if (found) return found;
    const cannot = `Cannot find "${stepAt}" in the newest run of scenario "${scenario}"`;
    const iterations = invocations.filter((i) => i.step === step).map((i) => i.iteration);
    if (iterations.length === 0) {
      const close = closestNames(step, invocations.map((i) => i.step))
        .map((name) => `"${stepAtText(name, iteration)}"`);
      return yield* Effect.fail(
        new QueryError({
          detail: `${cannot}: no step "${step}" ran in it; ${
            close.length > 0
              ? `did you mean ${close.join(" or ")}?`
              : `list its invocations with "cairn runs --scenario ${scenario}"`
          }`,
        }),
      );
    }
    const ran = iterations.includes(null) && iterations.every((i) => i === null)
      ? `"${step}" ran outside iterate there; give "${step}" without @`
      : `"${step}" ran at iterations ${
        iterationRanges(iterations)
      } there; give one of them as ${step}@<iteration>`;
    return yield* Effect.fail(new QueryError({ detail: `${cannot}: ${ran}` }));
  });
