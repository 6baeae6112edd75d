/**
 * `cairn gc [--dry-run] [--keep-last N] [--older-than DURATION] [--grace DURATION]`:
 * remove what no root reaches, optionally after shortening scenario histories.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import * as Command from "effect/cli/Command";
import * as Flag from "effect/cli/Flag";
import type { CollectOptions, CollectReport } from "../lib/query/mod.ts";
import { formatBytes } from "../lib/query/render_lineage.ts";
import { durationFlag } from "./_duration.ts";
import { jsonFlag, plural, printJson, printLines } from "./_output.ts";
import { queries, storeFlag, withStore } from "./_store.ts";

const report = (r: CollectReport): string[] => {
  const verb = r.dryRun ? "would remove" : "removed";
  const lines = [
    `${verb} ${plural(r.objectsRemoved, "object")} (${formatBytes(r.bytesRemoved)}), ${
      plural(r.indexEntriesRemoved, "index entry", "index entries")
    }, ${plural(r.tmpFilesRemoved, "temp file")}, ${plural(r.deadSessionsRemoved, "dead session")}${
      r.deadLeasesRemoved > 0 ? `, ${plural(r.deadLeasesRemoved, "dead lease")}` : ""
    }`,
    `kept ${plural(r.reachable, "reachable object")} (from ${plural(r.roots, "root")})`,
  ];
  if (r.scenarioRecordsDropped > 0) {
    lines.push(
      `${r.dryRun ? "would drop" : "dropped"} ${
        plural(r.scenarioRecordsDropped, "scenario record")
      } from histories`,
    );
  }
  if (r.youngKept > 0) {
    lines.push(
      `kept ${plural(r.youngKept, "unreachable object")} younger than --grace or a running writer`,
    );
  }
  if (r.missing > 0) {
    lines.push(`${plural(r.missing, "root or link")} name missing objects; run "cairn fsck"`);
  }
  return lines;
};

/** The `gc` command. */
export const gcCommand = Command.make(
  "gc",
  {
    dryRun: Flag.Boolean("dry-run").pipe(
      Flag.withDescription("Report what would be removed; remove nothing"),
      Flag.withDefault(false),
    ),
    keepLast: Flag.Int("keep-last").pipe(
      Flag.withDescription("Keep only the N newest records of each scenario (and what they reach)"),
      Flag.withMetavar("N"),
      Flag.filter((n) => n >= 1, (n) => `--keep-last must be 1 or more, not ${n}`),
      Flag.optional,
    ),
    olderThan: durationFlag(
      "older-than",
      "Drop scenario records older than this (a scenario's newest record is always kept)",
    ),
    grace: durationFlag(
      "grace",
      "Keep unreachable objects younger than this (default 1h)",
    ),
    json: jsonFlag,
    store: storeFlag,
  },
  ({ dryRun, keepLast, olderThan, grace, json, store }) =>
    withStore(
      store,
      Effect.gen(function* () {
        const q = yield* queries;
        const options: CollectOptions = {
          dryRun,
          ...(Option.isSome(keepLast) ? { keepLast: keepLast.value } : {}),
          ...(Option.isSome(olderThan) ? { olderThanMs: olderThan.value } : {}),
          ...(Option.isSome(grace) ? { graceMs: grace.value } : {}),
        };
        if (!json && Deno.stderr.isTerminal()) console.error("collecting garbage…");
        const result = yield* q.collectGarbage(options);
        yield* json ? printJson(result) : printLines(report(result));
      }),
    ),
).pipe(
  Command.withDescription("Remove objects no root reaches; optionally shorten scenario histories"),
  Command.withExamples([
    { command: "cairn gc --dry-run", description: "What would go" },
    { command: "cairn gc --keep-last 3 --grace 10m", description: "Keep 3 records per scenario" },
  ]),
);
