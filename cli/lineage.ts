/**
 * `cairn lineage <target> [--depth N]`: where an artifact came from — the runs
 * that produced it and their inputs, recursively, as a tree.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import * as Argument from "effect/cli/Argument";
import * as Command from "effect/cli/Command";
import * as Flag from "effect/cli/Flag";
import { jsonFlag, lineWriter, plural, printJson, style } from "./_output.ts";
import { storeFlag, withView } from "./_store.ts";

/** `--depth N`: how many run levels to walk back (default: all). */
export const depthFlag: Flag.Flag<Option.Option<number>> = Flag.Int("depth").pipe(
  Flag.withDescription("Walk back at most N runs (default: to the external inputs)"),
  Flag.withMetavar("N"),
  Flag.filter((n) => n >= 0, (n) => `--depth must be 0 or more, not ${n}`),
  Flag.optional,
);

/** A target argument: an id or prefix, a scenario, an output name, `<scenario>:<output>`, a path. */
export const targetArgument = (what: string): Argument.Argument<string> =>
  Argument.String("target").pipe(
    Argument.withDescription(
      `${what}: an object id or unique prefix, a scenario name, an output name (its newest value), <scenario>:<output>, or a path to a stored file`,
    ),
  );

/** The `lineage` command. */
export const lineageCommand = Command.make(
  "lineage",
  { target: targetArgument("What to trace"), depth: depthFlag, json: jsonFlag, store: storeFlag },
  ({ target, depth, json, store }) =>
    withView(store, (view, q) =>
      Effect.gen(function* () {
        const lineage = yield* q.lineage(target, view, { depth: Option.getOrNull(depth) });
        if (json) return yield* printJson(lineage);
        const runs = Object.keys(lineage.runs).length;
        const artifacts = Object.keys(lineage.artifacts).length;
        const summary = `${plural(runs, "run")}, ${plural(artifacts, "artifact")}${
          lineage.truncated ? `; stopped at --depth ${lineage.depth}` : ""
        }`;
        // Written as it is rendered: a full lineage is 100,000 lines and more.
        yield* Effect.sync(() => {
          const out = lineWriter();
          q.renderLineageTo(lineage, out.line);
          out.line(style.dim(summary));
          out.end();
        });
      })),
).pipe(
  Command.withDescription("Show where an artifact (or a run's or scenario's outputs) came from"),
  Command.withExamples([
    { command: "cairn lineage skims", description: "The newest skims, back to the raw inputs" },
    { command: "cairn lineage 3fa9c2 --depth 2", description: "Two runs back from an id prefix" },
  ]),
);
