/**
 * `cairn materialize <artifact> <dest> [--overwrite] [--link copy|hardlink]`: write
 * an artifact out of the store — a blob as a file, a tree as a directory. Files are
 * copies (reflinks where the file system can) unless `--link hardlink` is asked for:
 * a hard link is the store's own object, and a write through it damages the store.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Argument from "effect/cli/Argument";
import * as Command from "effect/cli/Command";
import * as Flag from "effect/cli/Flag";
import { formatBytes } from "../lib/query/render_lineage.ts";
import { jsonFlag, printJson, printLines, short } from "./_output.ts";
import { objectStore, storeFlag, withView } from "./_store.ts";
import { targetArgument } from "./lineage.ts";

/** The `materialize` command. */
export const materializeCommand = Command.make(
  "materialize",
  {
    target: targetArgument("The artifact"),
    dest: Argument.String("dest").pipe(
      Argument.withDescription("Where to write it (must not exist unless --overwrite)"),
    ),
    overwrite: Flag.Boolean("overwrite").pipe(
      Flag.withDescription("Replace an existing destination"),
      Flag.withDefault(false),
    ),
    link: Flag.Literals("link", ["copy", "hardlink"]).pipe(
      Flag.withDescription(
        "copy (default; a reflink where the file system can) or hardlink (no copy: the files are the store's own objects, and writing to one damages the store)",
      ),
      Flag.withDefault("copy" as const),
    ),
    json: jsonFlag,
    store: storeFlag,
  },
  ({ target, dest, overwrite, link, json, store }) =>
    withView(store, (view, q) =>
      Effect.gen(function* () {
        const id = yield* q.resolveArtifact(
          target,
          view,
          "materialize",
          'give an output name or an artifact id ("cairn artifacts" lists them)',
        );
        const result = yield* (yield* objectStore).materialize(id, dest, { overwrite, link })
          .pipe(
            Effect.catchReason("StoreError", "DestinationExists", () =>
              Effect.fail(
                new q.QueryError({
                  detail:
                    `Cannot materialize into "${dest}": it already exists; choose a new path or pass --overwrite`,
                }),
              )),
          );
        const written = { id: id, dest, ...result };
        if (json) return yield* printJson(written);
        yield* printLines([
          `wrote ${result.kind} ${short(id)} to ${dest}: ${result.files} file${
            result.files === 1 ? "" : "s"
          }${link === "hardlink" ? ` (${result.linked} hard-linked)` : ""}, ${
            formatBytes(result.bytes)
          }`,
        ]);
      }), { remote: true }),
).pipe(Command.withDescription("Write an artifact out of the store as a file or directory"));
