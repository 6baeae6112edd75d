/**
 * `cairn pull [SCENARIO…] [--remote NAME] [--all]`: bring scenarios (default: all the
 * remote has) — their records, and with `--all` every byte they link to.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Argument from "effect/cli/Argument";
import * as Command from "effect/cli/Command";
import * as Flag from "effect/cli/Flag";
import type { PullReport } from "../lib/remote/pull.ts";
import { formatBytes } from "../lib/query/render_lineage.ts";
import { jsonFlag, plural, printJson, printLines, short } from "./_output.ts";
import { progressLine, remoteFlag, withRemote } from "./_remote.ts";
import { storeFlag } from "./_store.ts";

const report = (r: PullReport, url: string): string[] => [
  `pulled ${plural(r.objects, "object")} (${formatBytes(r.bytes)}) from ${r.remote} (${url}); ${
    plural(r.present, "object")
  } already here; ${plural(r.lineageEntries, "lineage entry", "lineage entries")}, ${
    plural(r.cacheEntries, "cache entry", "cache entries")
  }`,
  ...(r.cutLinks > 0
    ? [
      `recorded ${
        plural(r.cutLinks, "link")
      } as cut: a gc removed the older records they name before they were pushed`,
    ]
    : []),
  ...r.refs.map((ref) =>
    `  ${ref.scenario}: ${ref.result} ${ref.from ? `${short(ref.from)} → ` : ""}${short(ref.to)}${
      ref.result === "diverged"
        ? ` (kept the local history; the remote's is remotes/${r.remote}/scenarios/${ref.scenario})`
        : ""
    }`
  ),
];

/** The `pull` command. */
export const pullCommand = Command.make(
  "pull",
  {
    scenarios: Argument.String("scenario").pipe(
      Argument.withDescription("Scenarios to pull (default: every scenario of the remote)"),
      Argument.variadic(),
    ),
    remote: remoteFlag,
    all: Flag.Boolean("all").pipe(
      Flag.withDescription("Every byte the records link to, not only the records"),
      Flag.withDefault(false),
    ),
    json: jsonFlag,
    store: storeFlag,
  },
  ({ scenarios, remote, all, json, store }) =>
    withRemote(store, remote, false, (local, remoteStore, name, url) =>
      Effect.gen(function* () {
        const { pull } = yield* Effect.promise(() => import("../lib/remote/pull.ts"));
        const progress = progressLine(`pulling from ${name}`, json);
        const result = yield* pull(local, remoteStore, {
          remote: name,
          all,
          ...(scenarios.length > 0 ? { scenarios } : {}),
          ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
        }).pipe(Effect.ensuring(Effect.sync(progress.done)));
        yield* json ? printJson({ ...result, url }) : printLines(report(result, url));
      })),
).pipe(
  Command.withDescription("Bring scenarios' records (and with --all their bytes) from a remote"),
  Command.withExamples([
    { command: "cairn pull base", description: "The records of scenario base" },
    { command: "cairn pull --all", description: "Every scenario with every byte" },
  ]),
);
