/**
 * `cairn push [SCENARIO…] [--remote NAME] [--force]`: send scenarios (default: all)
 * with everything they link to and their cache entries to a remote; exit 1 when a
 * ref was rejected. `cairn push --delete SCENARIO…` deletes them from the remote.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Argument from "effect/cli/Argument";
import * as Command from "effect/cli/Command";
import * as Flag from "effect/cli/Flag";
import type { PushReport } from "../lib/remote/push.ts";
import { formatBytes } from "../lib/query/render_lineage.ts";
import { ExitCode } from "./_report.ts";
import { jsonFlag, plural, printJson, printLines, short } from "./_output.ts";
import { progressLine, remoteFlag, withRemote } from "./_remote.ts";
import { storeFlag } from "./_store.ts";

const report = (r: PushReport, url: string): string[] => [
  `pushed ${plural(r.objects, "object")} (${formatBytes(r.bytes)}) to ${r.remote} (${url}); ${
    plural(r.present, "object")
  } already there; ${plural(r.cacheEntries, "cache entry", "cache entries")}`,
  ...(r.cutLinks > 0
    ? [`sent ${plural(r.cutLinks, "link")} as cut: a local gc removed the older records they name`]
    : []),
  ...r.refs.map((ref) =>
    `  ${ref.scenario}: ${ref.result} ${ref.from ? `${short(ref.from)} → ` : ""}${short(ref.to)}${
      ref.detail ? ` (${ref.detail})` : ""
    }`
  ),
];

/** The `push` command. */
export const pushCommand = Command.make(
  "push",
  {
    scenarios: Argument.String("scenario").pipe(
      Argument.withDescription("Scenarios to push (default: every scenario)"),
      Argument.variadic(),
    ),
    remote: remoteFlag,
    remove: Flag.Boolean("delete").pipe(
      Flag.withDescription(
        "Delete the named scenarios from the remote (their refs; remote gc collects the rest)",
      ),
      Flag.withDefault(false),
    ),
    force: Flag.Boolean("force").pipe(
      Flag.withDescription("Replace a remote history that is not an ancestor of this one"),
      Flag.withDefault(false),
    ),
    json: jsonFlag,
    store: storeFlag,
  },
  ({ scenarios, remote, remove, force, json, store }) =>
    withRemote(store, remote, !remove, (local, remoteStore, name, url) =>
      Effect.gen(function* () {
        if (remove) {
          const { deleteRemote } = yield* Effect.promise(() =>
            import("../lib/remote/delete_remote.ts")
          );
          const { RemoteError } = yield* Effect.promise(() =>
            import("../lib/remote/remote_error.ts")
          );
          if (scenarios.length === 0) {
            return yield* Effect.fail(
              new RemoteError({
                detail: "Cannot push --delete: name the scenarios to delete from the remote",
              }),
            );
          }
          const refs = yield* deleteRemote(local, remoteStore, name, scenarios);
          yield* json ? printJson({ remote: name, url, refs }) : printLines(
            refs.map((r) =>
              `  ${r.scenario}: ${r.result} ${short(r.from)}${r.detail ? ` (${r.detail})` : ""}`
            ),
          );
          if (refs.some((r) => r.result === "rejected")) return yield* new ExitCode({ code: 1 });
          return;
        }
        const { push } = yield* Effect.promise(() => import("../lib/remote/push.ts"));
        const progress = progressLine(`pushing to ${name}`, json);
        const result = yield* push(local, remoteStore, {
          remote: name,
          force,
          ...(scenarios.length > 0 ? { scenarios } : {}),
          ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
        }).pipe(Effect.ensuring(Effect.sync(progress.done)));
        yield* json ? printJson({ ...result, url }) : printLines(report(result, url));
        if (result.refs.some((r) => r.result === "rejected")) {
          return yield* new ExitCode({ code: 1 });
        }
      })),
).pipe(
  Command.withDescription("Send scenarios, what they link to and their cache entries to a remote"),
  Command.withExamples([
    { command: "cairn push", description: "Every scenario to origin" },
    { command: "cairn push base --remote team", description: "One scenario to the remote team" },
    { command: "cairn push --delete old-run", description: "Delete a scenario from origin" },
  ]),
);
