/**
 * `cairn export openlineage [--namespace NS]`: every run as OpenLineage START and
 * COMPLETE (or FAIL) events, one JSON object per line, in time order.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import * as Command from "effect/cli/Command";
import * as Flag from "effect/cli/Flag";
import { printText } from "./_output.ts";
import { storeFlag, withView } from "./_store.ts";

const openLineageCommand = Command.make(
  "openlineage",
  {
    namespace: Flag.String("namespace").pipe(
      Flag.withDescription(
        "Namespace of jobs and datasets (default: cairn://<store directory name>)",
      ),
      Flag.withMetavar("NS"),
      Flag.optional,
    ),
    store: storeFlag,
  },
  ({ namespace, store }) =>
    withView(store, (view, q) =>
      Effect.gen(function* () {
        const events = yield* q.openLineageEvents(
          view,
          Option.isSome(namespace) ? { namespace: namespace.value } : {},
        );
        yield* printText(q.formatJsonLines(events));
      })),
).pipe(Command.withDescription("Every run as OpenLineage events, as JSON lines"));

/** The `export` command and its formats. */
export const exportCommand = Command.make("export").pipe(
  Command.withDescription("Export the store's lineage to other tools"),
  Command.withSubcommands([openLineageCommand]),
);
