/**
 * `cairn impact <artifact>` (also `cairn consumers`): the runs that read an
 * artifact directly, and every run downstream of those — what would re-run if it
 * changed — grouped by step with their iterations.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Command from "effect/cli/Command";
import type { Impact, ImpactRun, LineageArtifact } from "../lib/query/mod.ts";
import {
  appendAll,
  jsonFlag,
  plural,
  printJson,
  printLines,
  ranges,
  short,
  stepAt,
  style,
  table,
} from "./_output.ts";
import { storeFlag, withView } from "./_store.ts";
import { targetArgument } from "./lineage.ts";

/** The `impact` command (alias `consumers`). */
export const impactCommand = Command.make(
  "impact",
  { target: targetArgument("The artifact"), json: jsonFlag, store: storeFlag },
  ({ target, json, store }) =>
    withView(store, (view, q) =>
      Effect.gen(function* () {
        const id = yield* q.resolveArtifact(
          target,
          view,
          "show the impact of",
          "give an artifact id, an output name or a path",
        );
        const impact = q.impactOf(view, id);
        if (json) return yield* printJson(impact);
        const artifact = q.lineageOf(view, [id], 0).artifacts[id]!;
        yield* printLines(impactLines(impact, artifact));
      })),
).pipe(
  Command.withAlias("consumers"),
  Command.withDescription(
    "Show the runs that read an artifact, directly and downstream (what would re-run if it changed)",
  ),
);

/**
 * The text of an impact: the artifact, the counts, a table by step and one line per
 * run downstream (by step, then iteration) — as many lines as runs, so a store of
 * hundreds of thousands of runs makes that many (never spread as arguments).
 */
export const impactLines = (impact: Impact, artifact: LineageArtifact): string[] => {
  const runs = impact.transitive.length;
  const lines = [
    `${style.bold(artifact.name)}  ${artifact.kind} ${short(artifact.id)}  ${
      artifact.producer ? `made by run ${short(artifact.producer)}` : "(external input)"
    }`,
    `read directly by ${plural(impact.direct.length, "run")}; ${
      plural(runs, "run")
    } downstream in all`,
  ];
  if (runs === 0) return lines;
  const steps = Object.entries(impact.byStep).map(([step, iterations]) => {
    const direct = impact.direct.filter((r) => r.step === step).length;
    return [step, String(direct), String(iterations.length), ranges(iterations)];
  });
  lines.push("");
  appendAll(lines, table(["step", "direct", "all", "iterations"], steps, [1, 2]));
  lines.push("");
  appendAll(
    lines,
    table(
      ["run", "step", "scenario", "distance"],
      byStepThenIteration(impact.transitive).map((r) => [
        short(r.run),
        stepAt(r.step, r.iteration),
        r.scenario ?? "-",
        r.distance === 1 ? "direct" : String(r.distance),
      ]),
    ),
  );
  return lines;
};

// By step, then iteration (stable): each step's runs apart, then sorted — a walk meets
// them mostly in iteration order already, which a sort of each step's runs finds cheap.
const byStepThenIteration = (runs: readonly ImpactRun[]): ImpactRun[] => {
  const bySteps = new Map<string, ImpactRun[]>();
  for (const r of runs) {
    const list = bySteps.get(r.step);
    if (list) list.push(r);
    else bySteps.set(r.step, [r]);
  }
  const out: ImpactRun[] = [];
  for (const step of [...bySteps.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const list = bySteps.get(step)!.sort((a, b) => (a.iteration ?? -1) - (b.iteration ?? -1));
    for (const r of list) out.push(r);
  }
  return out;
};
