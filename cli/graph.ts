/**
 * `cairn graph <target> --format dot|mermaid|svg [--by run|step] [--depth N]`: the
 * lineage of a target as a picture to render (DOT, Mermaid) or an SVG. Above
 * {@linkcode STEP_VIEW_ABOVE} runs it draws a node per step unless `--by run` asks
 * for every run, and says so (in the picture's title and on stderr): a chain of 15
 * iterations by run is a row some 30,000 points wide.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import * as Command from "effect/cli/Command";
import * as Flag from "effect/cli/Flag";
import { plural, printText } from "./_output.ts";
import { storeFlag, withView } from "./_store.ts";
import { depthFlag, targetArgument } from "./lineage.ts";

/** Above this many runs `graph` draws a node per step unless `--by run` is given. */
export const STEP_VIEW_ABOVE = 40;

const note = (text: string): Effect.Effect<void> =>
  Effect.sync(() => {
    try {
      Deno.stderr.writeSync(new TextEncoder().encode(`note: ${text}\n`));
    } catch {
      // stderr closed: the picture's title says it too.
    }
  });

/** The `graph` command. */
export const graphCommand = Command.make(
  "graph",
  {
    target: targetArgument("What to draw the lineage of"),
    format: Flag.Literals("format", ["dot", "mermaid", "svg"]).pipe(
      Flag.withDescription("dot (Graphviz), mermaid, or svg (drawn by Graphviz)"),
      Flag.withDefault("dot"),
    ),
    by: Flag.Literals("by", ["run", "step"]).pipe(
      Flag.withDescription(
        `A node per run, or per step with edges labelled by iteration (default: run, step above ${STEP_VIEW_ABOVE} runs)`,
      ),
      Flag.optional,
    ),
    depth: depthFlag,
    store: storeFlag,
  },
  ({ target, format, by, depth, store }) =>
    withView(store, (view, q) =>
      Effect.gen(function* () {
        const lineage = yield* q.lineage(target, view, { depth: Option.getOrNull(depth) });
        const runs = Object.keys(lineage.runs).length;
        const chosen = Option.getOrUndefined(by);
        const big = chosen === undefined && runs > STEP_VIEW_ABOVE;
        const options = big
          ? {
            by: "step" as const,
            note: `drawn by step above ${STEP_VIEW_ABOVE} runs; --by run draws every run`,
          }
          : { by: chosen ?? "run" };
        if (big) {
          yield* note(
            `${
              plural(runs, "run")
            }: one node per step (above ${STEP_VIEW_ABOVE} runs); give --by run to draw every run`,
          );
        }
        const text = yield* Effect.tryPromise({
          try: () => q.graphOf(lineage, format, options),
          catch: (e) => e,
        });
        yield* printText(text);
      })),
).pipe(
  Command.withDescription(
    "Draw the lineage of a target as DOT, Mermaid or SVG, a node per run or per step",
  ),
  Command.withExamples([
    { command: "cairn graph skims --format svg > skims.svg", description: "A picture of skims" },
    {
      command: "cairn graph skims --depth 2 | dot -Tpng > skims.png",
      description: "With Graphviz",
    },
    {
      command: "cairn graph baseline --by step --format svg > baseline.svg",
      description: "One box per step, edges labelled with iterations",
    },
  ]),
);
