/**
 * `cairn artifacts [--run R] [--name N]`: the outputs of runs, newest run first.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import * as Command from "effect/cli/Command";
import * as Flag from "effect/cli/Flag";
import { formatBytes } from "../lib/query/render_lineage.ts";
import { jsonFlag, printJson, printLines, short, stepAt, table } from "./_output.ts";
import { storeFlag, withView } from "./_store.ts";

/** The `artifacts` command. */
export const artifactsCommand = Command.make(
  "artifacts",
  {
    run: Flag.String("run").pipe(
      Flag.withDescription("Only the outputs of this run (id or unique prefix)"),
      Flag.withMetavar("R"),
      Flag.optional,
    ),
    name: Flag.String("name").pipe(
      Flag.withDescription("Only outputs of this name"),
      Flag.withMetavar("N"),
      Flag.optional,
    ),
    json: jsonFlag,
    store: storeFlag,
  },
  ({ run, name, json, store }) =>
    withView(store, (view, q) =>
      Effect.gen(function* () {
        const filter = {
          ...(Option.isSome(run) ? { run: run.value } : {}),
          ...(Option.isSome(name) ? { name: name.value } : {}),
        };
        // listArtifacts throws its QueryError; it is reported like any other.
        const rows = yield* Effect.try({
          try: () => q.listArtifacts(view, filter),
          catch: (e) => e,
        });
        // Nothing matched: a misspelt name is an error, not an empty answer.
        if (rows.length === 0 && Option.isSome(name)) yield* q.requireOutputName(view, name.value);
        if (json) return yield* printJson(rows);
        if (rows.length === 0) return yield* printLines(["no artifacts match"]);
        yield* printLines(table(
          ["name", "id", "kind", "codec", "size", "made by", "step", "scenario"],
          rows.map((a) => [
            a.name,
            short(a.id),
            a.kind,
            a.codec,
            formatBytes(a.size),
            short(a.producer),
            stepAt(a.step, a.iteration),
            a.scenario ?? "-",
          ]),
          [4],
        ));
      })),
).pipe(Command.withDescription("List the outputs of runs, newest first"));
