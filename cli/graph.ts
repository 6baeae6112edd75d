/**
 * `cairn graph <target> --format dot|mermaid|svg [--depth N]`: the lineage of a
 * target as a picture to render (DOT, Mermaid) or an SVG.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import * as Command from "effect/cli/Command";
import * as Flag from "effect/cli/Flag";
import { printText } from "./_output.ts";
import { storeFlag, withView } from "./_store.ts";
import { depthFlag, targetArgument } from "./lineage.ts";

/** The `graph` command. */
export const graphCommand = Command.make(
  "graph",
  {
    target: targetArgument("What to draw the lineage of"),
    format: Flag.Literals("format", ["dot", "mermaid", "svg"]).pipe(
      Flag.withDescription("dot (Graphviz), mermaid, or svg (drawn by Graphviz)"),
      Flag.withDefault("dot"),
    ),
    depth: depthFlag,
    store: storeFlag,
  },
  ({ target, format, depth, store }) =>
    withView(store, (view, q) =>
      Effect.gen(function* () {
        const lineage = yield* q.lineage(target, view, { depth: Option.getOrNull(depth) });
        const text = yield* Effect.tryPromise({
          try: () => q.graphOf(lineage, format),
          catch: (e) => e,
        });
        yield* printText(text);
      })),
).pipe(
  Command.withDescription("Draw the lineage of a target as DOT, Mermaid or SVG"),
  Command.withExamples([
    { command: "cairn graph skims --format svg > skims.svg", description: "A picture of skims" },
    {
      command: "cairn graph skims --depth 2 | dot -Tpng > skims.png",
      description: "With Graphviz",
    },
  ]),
);
