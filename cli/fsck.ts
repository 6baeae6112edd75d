/**
 * `cairn fsck [--quick]`: check every object, link, ref and index entry; exit 1
 * when anything is wrong.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Command from "effect/cli/Command";
import * as Flag from "effect/cli/Flag";
import type { FsckReport } from "../store/fsck.ts";
import { formatBytes } from "../lib/queries/render_lineage.ts";
import { ExitCode } from "./_report.ts";
import { jsonFlag, plural, printJson, printLines, style, table } from "./_output.ts";
import { queries, storeFlag, withStore } from "./_store.ts";

const report = (r: FsckReport): string[] => {
  const lines = [
    `${plural(r.objects, "object")} (${plural(r.byKind.blob, "blob")}, ${
      plural(r.byKind.tree, "tree")
    }, ${plural(r.byKind.record, "record")}), ${formatBytes(r.bytes)}`,
    `${plural(r.refs, "ref")}, ${
      plural(r.reflogEntries, "reflog entry", "reflog entries")
    } (${r.expiredReflogEntries} naming collected objects), ${
      plural(r.indexEntries, "index entry", "index entries")
    }, ${plural(r.tmpFiles, "temp file")}`,
  ];
  if (r.ok) return [...lines, style.green("ok: no problems found")];
  const counts = new Map<string, number>();
  for (const p of r.problems) counts.set(p.kind, (counts.get(p.kind) ?? 0) + 1);
  lines.push(
    style.red(
      `${plural(r.problems.length, "problem")}: ${
        [...counts].map(([k, n]) => `${n} ${k}`).join(", ")
      }`,
    ),
    ...table(["kind", "subject", "detail"], r.problems.map((p) => [p.kind, p.subject, p.detail])),
  );
  return lines;
};

/** The `fsck` command. */
export const fsckCommand = Command.make(
  "fsck",
  {
    quick: Flag.Boolean("quick").pipe(
      Flag.withDescription("Do not re-hash blobs (structure, links and refs are still checked)"),
      Flag.withDefault(false),
    ),
    json: jsonFlag,
    store: storeFlag,
  },
  ({ quick, json, store }) =>
    withStore(
      store,
      Effect.gen(function* () {
        const result = yield* (yield* queries).checkStore({ quick });
        yield* json ? printJson(result) : printLines(report(result));
        if (!result.ok) return yield* new ExitCode({ code: 1 });
      }),
    ),
).pipe(Command.withDescription("Check the store's integrity; exit 1 if anything is wrong"));
