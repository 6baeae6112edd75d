/**
 * `cairn gc [--dry-run] [--keep-last N] [--older-than DURATION] [--grace DURATION]`:
 * remove what no root reaches, optionally after shortening scenario histories.
 * `--remote NAME` collects a remote's bucket instead (grace 7 days by default; see the
 * README's "Remote gc"); `--reflog-expiry` shortens how long reflog entries are roots.
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
import { withRemote } from "./_remote.ts";
import { queries, storeFlag, withStore } from "./_store.ts";

// Another machine's upload must finish within this (children first, names last).
const REMOTE_GRACE_MS = 7 * 86_400_000;

const report = (r: CollectReport, remote?: string): string[] => {
  const verb = r.dryRun ? "would remove" : "removed";
  if (remote !== undefined) {
    const lines = [
      `${verb} ${plural(r.objectsRemoved, "object")} (${formatBytes(r.bytesRemoved)}) and ${
        plural(r.indexEntriesRemoved, "index entry", "index entries")
      } from ${remote}`,
      `kept ${plural(r.reachable, "reachable object")} (from ${plural(r.roots, "root")})`,
    ];
    if (r.youngKept > 0) {
      lines.push(
        `kept ${
          plural(r.youngKept, "unreachable object")
        } younger than --grace (uploads may be under way)`,
      );
    }
    if (r.missing > 0) lines.push(`${plural(r.missing, "root or link")} name missing objects`);
    return lines;
  }
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

// gc of a remote's bucket: the same roots, a grace period of 7 days by default (other
// machines may be mid-upload), no history shortening (a kept record would name the
// parent it lost, and pulls follow parents).
const remoteGc = (
  store: Option.Option<string>,
  remote: Option.Option<string>,
  options: CollectOptions,
  json: boolean,
) =>
  withRemote(store, remote, false, (_local, remoteStore, name, url) =>
    Effect.gen(function* () {
      if (options.keepLast !== undefined || options.olderThanMs !== undefined) {
        const { RemoteError } = yield* Effect.promise(() =>
          import("../lib/remote/remote_error.ts")
        );
        return yield* Effect.fail(
          new RemoteError({
            detail:
              'Cannot shorten histories on a remote: a kept record would name a parent the remote no longer holds; delete whole scenarios with "cairn push --delete SCENARIO" instead',
          }),
        );
      }
      const { collectGarbage } = yield* Effect.promise(() =>
        import("../lib/query/collect_garbage.ts")
      );
      const { ObjectStore } = yield* Effect.promise(() => import("../store/object_store.ts"));
      const { typedLinks } = yield* Effect.promise(() => import("../lib/remote/typed_links.ts"));
      // The record formats say most links' kinds: marking then downloads no blob.
      const linkKinds = (record: Parameters<typeof typedLinks>[0]) =>
        new Map(typedLinks(record).flatMap((l) => (l.kind ? [[l.id, l.kind] as const] : [])));
      if (!json && Deno.stderr.isTerminal()) console.error(`collecting garbage on ${name}…`);
      const result = yield* collectGarbage({ graceMs: REMOTE_GRACE_MS, linkKinds, ...options })
        .pipe(
          Effect.provideService(ObjectStore, remoteStore),
        );
      yield* json
        ? printJson({ remote: name, url, ...result })
        : printLines(report(result, `${name} (${url})`));
    }));

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
      "Keep unreachable objects younger than this (default 1h; with --remote 7d)",
    ),
    reflogExpiry: durationFlag(
      "reflog-expiry",
      "Reflog entries younger than this are roots (default 90d)",
    ),
    remote: Flag.String("remote").pipe(
      Flag.withDescription("Collect this remote's bucket instead of the local store"),
      Flag.withMetavar("NAME"),
      Flag.optional,
    ),
    json: jsonFlag,
    store: storeFlag,
  },
  ({ dryRun, keepLast, olderThan, grace, reflogExpiry, remote, json, store }) => {
    const options: CollectOptions = {
      dryRun,
      ...(Option.isSome(keepLast) ? { keepLast: keepLast.value } : {}),
      ...(Option.isSome(olderThan) ? { olderThanMs: olderThan.value } : {}),
      ...(Option.isSome(grace) ? { graceMs: grace.value } : {}),
      ...(Option.isSome(reflogExpiry) ? { reflogExpiryMs: reflogExpiry.value } : {}),
    };
    if (Option.isSome(remote)) return remoteGc(store, remote, options, json);
    return withStore(
      store,
      Effect.gen(function* () {
        const q = yield* queries;
        if (!json && Deno.stderr.isTerminal()) console.error("collecting garbage…");
        const result = yield* q.collectGarbage(options);
        yield* json ? printJson(result) : printLines(report(result));
      }),
    );
  },
).pipe(
  Command.withDescription("Remove objects no root reaches; optionally shorten scenario histories"),
  Command.withExamples([
    { command: "cairn gc --dry-run", description: "What would go" },
    { command: "cairn gc --keep-last 3 --grace 10m", description: "Keep 3 records per scenario" },
    { command: "cairn gc --remote origin --dry-run", description: "What would go from origin" },
  ]),
);
