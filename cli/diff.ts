/**
 * `cairn diff <scenario-a> <scenario-b>`: what differs between two scenario
 * records — config (old → new), tags, facets, and the outputs that hold different
 * bytes.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Argument from "effect/cli/Argument";
import * as Command from "effect/cli/Command";
import type { ScenarioDiff } from "../lib/query/mod.ts";
import { jsonFlag, printJson, printLines, short, stepAt, style, table } from "./_output.ts";
import { storeFlag, withView } from "./_store.ts";

const show = (v: unknown) => (v === undefined ? "(absent)" : JSON.stringify(v));

const report = (d: ScenarioDiff): string[] => {
  const lines = [
    `${style.bold("a")} ${d.a.name} ${short(d.a.id)}  ${style.bold("b")} ${d.b.name} ${
      short(d.b.id)
    }`,
  ];
  const section = (title: string, body: string[]) => {
    lines.push(`${title}:${body.length === 0 ? " no differences" : ""}`, ...body);
  };
  section(
    "config",
    d.config.map((c) =>
      `  ${c.path.replace(/^config\./, "")}: ${show(c.before)} → ${show(c.after)}`
    ),
  );
  section("tags", [
    ...d.tags.added.map((t) => `  + ${t}`),
    ...d.tags.removed.map((t) => `  - ${t}`),
  ]);
  section("facets", d.facets.map((f) => `  ${f.name}: ${show(f.before)} → ${show(f.after)}`));
  section(
    "outputs",
    d.outputs.length === 0 ? [] : table(
      ["  step", "output", "a", "b"],
      d.outputs.map((o) => [`  ${stepAt(o.step, o.iteration)}`, o.name, short(o.a), short(o.b)]),
    ),
  );
  return lines;
};

const scenarioArgument = (name: string) =>
  Argument.String(name).pipe(
    Argument.withDescription(
      "A scenario name (its newest record), <name>~N (N records before the newest) or a scenario record id",
    ),
  );

/** The `diff` command. */
export const diffCommand = Command.make(
  "diff",
  {
    a: scenarioArgument("scenario-a"),
    b: scenarioArgument("scenario-b"),
    json: jsonFlag,
    store: storeFlag,
  },
  ({ a, b, json, store }) =>
    withView(store, (view, q) =>
      Effect.gen(function* () {
        const diff = yield* q.diffScenarios(view, a, b);
        yield* json ? printJson(diff) : printLines(report(diff));
      })),
).pipe(
  Command.withDescription("Compare two scenario records: config, tags, facets and outputs"),
  Command.withExamples([
    { command: "cairn diff baseline policy", description: "Two scenarios" },
    {
      command: "cairn diff baseline~1 baseline",
      description: "A scenario against its previous run",
    },
  ]),
);
