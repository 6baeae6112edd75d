/**
 * `cairn why <run>` or `cairn why <scenario> <step@iteration>`: why a step ran
 * instead of reusing an earlier run — the key components that differ from the
 * nearest earlier run of the same step at the same iteration.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import * as Argument from "effect/cli/Argument";
import * as Command from "effect/cli/Command";
import type { InputChange, LineageView, Why } from "../lib/query/mod.ts";
import { jsonFlag, printJson, printLines, short, stepAt, style } from "./_output.ts";
import { storeFlag, withView } from "./_store.ts";

const side = (v: InputChange["before"]): string =>
  v.id === null
    ? "(absent)"
    : `${short(v.id)} (${v.producer ? `from run ${short(v.producer)}` : "external input"})`;

// The human report; `describe` is lib/model/cache_key.ts's one-line wording of a change.
const report = (
  w: Why,
  view: LineageView,
  describe: (changes: Why["changes"]) => string[],
): string[] => {
  const scenario = view.runs.get(w.run)?.scenario ?? null;
  const lines = [
    `${style.bold(stepAt(w.step, w.iteration))}  run ${short(w.run)}${
      scenario ? `  scenario ${scenario}` : ""
    }`,
  ];
  if (w.hitOf) lines.push(`was a cache hit of run ${short(w.hitOf)}; that run ran because:`);
  if (w.previous === null) {
    const startedAt = view.runs.get(w.run)?.startedAt ?? "";
    const ranBefore = (view.stepRuns.get(w.step) ?? []).some((r) =>
      r.run !== w.run && (view.runs.get(r.run)?.startedAt ?? "") <= startedAt
    );
    lines.push(
      w.iteration !== null && ranBefore
        ? `first run at iteration ${w.iteration}: no earlier run of "${w.step}" at iteration ${w.iteration} to compare with`
        : `first run of this step: no earlier run of "${w.step}" to compare with`,
    );
    return lines;
  }
  const previousScenario = view.runs.get(w.previous)?.scenario ?? null;
  const at = `"${stepAt(w.step, w.iteration)}"`;
  lines.push(
    previousScenario === scenario
      ? `compared with run ${short(w.previous)}, the nearest earlier run of ${at}:`
      : `compared with run ${short(w.previous)} of scenario ${
        previousScenario ?? "(none)"
      }, the nearest earlier run of ${at} (there is none in scenario ${scenario ?? "(none)"}):`,
  );
  const changes = w.changes.filter((c) => c.part !== "inputs");
  const inputs = w.inputs.map((i) => `input ${i.name}: ${side(i.before)} → ${side(i.after)}`);
  const other = describe(changes);
  if (other.length + inputs.length === 0) {
    lines.push("  no key component differs (the earlier run's cache entry may have been removed)");
  }
  lines.push(...[...other, ...inputs].map((l) => `  ${l}`));
  return lines;
};

/** The `why` command. */
export const whyCommand = Command.make(
  "why",
  {
    target: Argument.String("run-or-scenario").pipe(
      Argument.withDescription("A run id (or unique prefix), or a scenario name"),
    ),
    stepAt: Argument.String("step@iteration").pipe(
      Argument.withDescription("With a scenario: the step invocation, e.g. logsums@3"),
      Argument.optional,
    ),
    json: jsonFlag,
    store: storeFlag,
  },
  ({ target, stepAt: at, json, store }) =>
    withView(store, (view, q) =>
      Effect.gen(function* () {
        const answer = yield* q.why(view, target, Option.getOrUndefined(at));
        if (json) return yield* printJson(answer);
        const { describeChanges } = yield* Effect.promise(() =>
          import("../lib/model/cache_key.ts")
        );
        yield* printLines(report(answer, view, describeChanges));
      })),
).pipe(
  Command.withDescription("Explain why a step ran: what changed since the previous run of it"),
  Command.withExamples([
    { command: "cairn why 3fa9c2", description: "Explain a run" },
    { command: "cairn why baseline logsums@3", description: "Explain a step of a scenario" },
  ]),
);
