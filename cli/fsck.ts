/**
 * `cairn fsck [--quick] [--repair]`: check every object, link, ref and index entry;
 * exit 1 when anything is wrong. `--repair` sets damaged objects aside, resets refs
 * that name them from their reflogs, withdraws the cache entries of the runs whose
 * outputs are gone (their next run re-computes them), and exits 1 only when
 * something is left that it cannot put right.
 *
 * @module
 */
import * as Console from "effect/Console";
import * as Effect from "effect/Effect";
import * as Command from "effect/cli/Command";
import * as Flag from "effect/cli/Flag";
import type { FsckReport } from "../store/fsck.ts";
import type { RepairResult } from "../lib/query/repair.ts";
import { formatBytes } from "../lib/query/render_lineage.ts";
import { ExitCode } from "./_report.ts";
import {
  appendAll,
  jsonFlag,
  plural,
  printJson,
  printLines,
  short,
  style,
  table,
} from "./_output.ts";
import { objectStore, queries, remoteToRead, storeFlag, withStore } from "./_store.ts";
import { openRemote } from "./_remote.ts";

/** fsck's report, with what the store's remote holds of what the store lacks. */
export type Checked = FsckReport & {
  /** The remote asked, and how many of the objects the store names and lacks it holds. */
  readonly remote?: { readonly name: string; readonly held: number };
};

// Objects the store names and lacks are asked of its remote ($CAIRN_REMOTE, else
// origin, else the only one): bytes a pull without --all left there are no problem.
// A remote that cannot be asked leaves them "missing", and says why on stderr.
const onRemote = (result: FsckReport) =>
  Effect.gen(function* () {
    const lacking = [
      ...new Set(result.problems.filter((p) => p.kind === "missing").map((p) => p.subject)),
    ];
    if (lacking.length === 0) return result as Checked;
    const local = yield* objectStore;
    const chosen = yield* remoteToRead(local.root);
    if (chosen === undefined) return result as Checked;
    const absent = yield* Effect.scoped(
      Effect.flatMap(openRemote(local, chosen, false), ({ remote }) => remote.missing(lacking)),
    ).pipe(
      Effect.map((ids) => new Set(ids)),
      Effect.catch((e) =>
        Effect.as(
          Console.error(
            `[cairn] fsck: could not ask remote "${chosen}" for the ${
              plural(lacking.length, "object")
            } this store lacks (${e.message}); they are reported missing`,
          ),
          undefined,
        )
      ),
    );
    if (absent === undefined) return result as Checked;
    const problems = result.problems.filter((p) => p.kind !== "missing" || absent.has(p.subject));
    return {
      ...result,
      ok: problems.length === 0,
      problems,
      remote: { name: chosen, held: lacking.filter((id) => !absent.has(id)).length },
    } as Checked;
  });

/** The text of fsck's report: a line per problem (a damaged store can have 100,000s). */
export const report = (r: Checked): string[] => {
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
  if (r.remote && r.remote.held > 0) {
    lines.push(
      `${plural(r.remote.held, "object")} named here ${
        r.remote.held === 1 ? "is" : "are"
      } on remote "${r.remote.name}" only (a pull without --all leaves the bytes there; "cairn pull --all" brings them)`,
    );
  }
  if (r.ok) return [...lines, style.green("ok: no problems found")];
  const counts = new Map<string, number>();
  for (const p of r.problems) counts.set(p.kind, (counts.get(p.kind) ?? 0) + 1);
  lines.push(
    style.red(
      `${plural(r.problems.length, "problem")}: ${
        [...counts].map(([k, n]) => `${n} ${k}`).join(", ")
      }`,
    ),
  );
  appendAll(
    lines,
    table(["kind", "subject", "detail"], r.problems.map((p) => [p.kind, p.subject, p.detail])),
  );
  return lines;
};

const at = (iteration: number | null) => (iteration === null ? "" : `@${iteration}`);

const repairLines = (r: RepairResult): string[] => {
  const { store } = r;
  const lines = [
    "",
    `repair: ${plural(store.setAside.length, "damaged object")} set aside (quarantine/), ${
      plural(store.madeReadOnly.length, "object")
    } made read-only again, ${plural(store.refsReset.length, "ref")} reset from its reflog`,
    ...store.refsReset.map((x) => `  ref ${x.name}: ${short(x.from)} → ${short(x.to)}`),
  ];
  if (r.runs.length > 0) {
    lines.push(
      `${
        plural(r.runs.length, "run")
      } lost outputs; their cache entries were withdrawn, so their next run re-computes them:`,
    );
    appendAll(
      lines,
      table(
        ["step", "run", "scenario", "missing"],
        r.runs.map((x) => [
          `${x.step}${at(x.iteration)}`,
          short(x.run),
          x.scenario ?? "-",
          x.missing.map(short).join(" "),
        ]),
      ),
    );
  }
  if (r.pending.length > 0) {
    lines.push(
      `${plural(r.pending.length, "run")} withdrawn before will re-create ${
        plural(new Set(r.pending.flatMap((x) => x.missing)).size, "missing object")
      } when next run: ${r.pending.map((x) => `${x.step}${at(x.iteration)}`).join(", ")}`,
    );
  }
  if (r.left.length === 0) return [...lines, style.green("ok: nothing is left to repair")];
  return [
    ...lines,
    style.red(`${plural(r.left.length, "problem")} left for you:`),
    ...table(["kind", "subject", "detail"], r.left.map((p) => [p.kind, p.subject, p.detail])),
    ...store.refsLeft.map((x) =>
      `  ref ${x.name} names ${
        short(x.id)
      }, which is damaged or missing, and its reflog has no intact earlier value: point it elsewhere or delete it`
    ),
  ];
};

/** The `fsck` command. */
export const fsckCommand = Command.make(
  "fsck",
  {
    quick: Flag.Boolean("quick").pipe(
      Flag.withDescription("Do not re-hash blobs (structure, links and refs are still checked)"),
      Flag.withDefault(false),
    ),
    repair: Flag.Boolean("repair").pipe(
      Flag.withDescription(
        "Set damaged objects aside, reset refs that name them, and withdraw the cache entries of runs whose outputs are gone",
      ),
      Flag.withDefault(false),
    ),
    json: jsonFlag,
    store: storeFlag,
  },
  ({ quick, repair, json, store }) =>
    withStore(
      store,
      Effect.gen(function* () {
        if (repair) {
          const result = yield* (yield* queries).repairStore;
          yield* json
            ? printJson(result)
            : printLines([...report(result.fsck), ...repairLines(result)]);
          if (result.left.length > 0) return yield* new ExitCode({ code: 1 });
          return;
        }
        const result = yield* onRemote(yield* (yield* queries).checkStore({ quick }));
        yield* json ? printJson(result) : printLines(report(result));
        if (!result.ok) return yield* new ExitCode({ code: 1 });
      }),
    ),
).pipe(Command.withDescription("Check the store's integrity; exit 1 if anything is wrong"));
