/**
 * What a query's target names: an artifact (object id or unique prefix, a scenario
 * output name such as `skims` meaning its newest value, `<scenario>:<output>`, or a
 * path to a file or directory — e.g. inside a materialized output — recognised by
 * content), a run record, or a scenario.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { ObjectStore } from "../../store/object_store.ts";
import type { StoreError } from "../../store/errors.ts";
import { hashObject } from "../../store/object_id.ts";
import { hashFile } from "../../store/objects.ts";
import { encodeTree, type TreeEntry } from "../../store/tree.ts";
import { closestNames } from "./did_you_mean.ts";
import { outputNames } from "./known_names.ts";
import type { LineageView } from "./lineage_view.ts";
import { isIndexed } from "./indexed_view.ts";
import { QueryError } from "./query_error.ts";
import { idKey } from "../model/query_index_schema.ts";
import { scenarioHistory, scenarioNames } from "./scenarios.ts";

/** A resolved target. */
export type Target =
  | { readonly kind: "artifact"; readonly id: string }
  | { readonly kind: "run"; readonly id: string }
  | { readonly kind: "scenario"; readonly id: string; readonly name: string };

// The tree id a directory would have in the store, without storing anything.
const hashDir = (path: string): string => {
  const entries: TreeEntry[] = [];
  for (const entry of Deno.readDirSync(path)) {
    const child = `${path}/${entry.name}`;
    if (entry.isDirectory) {
      entries.push({ name: entry.name, mode: "directory", id: hashDir(child) });
    } else if (entry.isFile) {
      const exec = ((Deno.statSync(child).mode ?? 0) & 0o111) !== 0;
      entries.push({
        name: entry.name,
        mode: exec ? "executable" : "file",
        id: hashFile(child).id,
      });
    }
  }
  return hashObject("tree", encodeTree(entries));
};

const pathId = (target: string): string | undefined => {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(target);
  } catch {
    return undefined;
  }
  try {
    return info.isDirectory ? hashDir(target) : info.isFile ? hashFile(target).id : undefined;
  } catch {
    return undefined;
  }
};

const notFound = (target: string, close: readonly string[]) =>
  new QueryError({
    detail:
      `Cannot find "${target}": it is not an object id, a scenario, an output name or a path to a stored file${
        close.length > 0 ? ` (did you mean ${close.map((c) => `"${c}"`).join(" or ")}?)` : ""
      }; list them with "cairn scenarios" and "cairn artifacts"`,
  });

// The scenario and output names closest to a target that names nothing; for
// `<scenario>:<output>` each side is corrected on its own.
const closeTo = (target: string, view: LineageView) =>
  Effect.gen(function* () {
    const scenarios = yield* scenarioNames;
    const outputs = outputNames(view);
    const colon = target.indexOf(":");
    if (colon <= 0) return closestNames(target, [...scenarios, ...outputs]);
    const [scenario, output] = [target.slice(0, colon), target.slice(colon + 1)];
    const fix = (part: string, known: Iterable<string>, has: boolean) =>
      has ? [part] : closestNames(part, known);
    return fix(scenario, scenarios, scenarios.includes(scenario))
      .flatMap((s) => fix(output, outputs, outputs.has(output)).map((o) => `${s}:${o}`))
      .filter((c) => c !== target)
      .slice(0, 3);
  });

/** The newest value of output `output` (optionally within scenario `scenario`). */
const newestOutput = (view: LineageView, output: string, scenario: string | undefined) =>
  Effect.gen(function* () {
    const names = scenario ? [scenario] : yield* scenarioNames;
    let best: { id: string; at: string } | undefined;
    if (isIndexed(view)) {
      const store = yield* ObjectStore;
      // The newest record's last invocation whose run made an output of that name: the
      // invocations from the last back (CROSS JOIN keeps that order; SQLite would
      // otherwise start from every output of that name).
      const last = view.prepare(
        `SELECT o.artifact FROM scenario_invocations i
         CROSS JOIN run_summaries r ON ${idKey("r.id")} = ${idKey("i.run")} AND r.id = i.run
         CROSS JOIN run_outputs o ON o.seq = r.seq AND o.name = ?
         WHERE i.rec = (SELECT n FROM scenario_records WHERE id = ?) ORDER BY i.ord DESC LIMIT 1`,
      );
      for (const name of names) {
        const [newest] = view.history(yield* store.readRef(`scenarios/${name}`), 1);
        if (!newest) continue;
        const row = last.get(output, newest.id) as { artifact: string } | undefined;
        if (row && (!best || newest.startedAt > best.at)) {
          best = { id: row.artifact, at: newest.startedAt };
        }
      }
      return best?.id;
    }
    for (const name of names) {
      const [newest] = yield* scenarioHistory(name, 1);
      if (!newest) continue;
      for (let i = newest.invocations.length - 1; i >= 0; i--) {
        const run = newest.invocations[i]!.run;
        const summary = run ? view.runs.get(run) : undefined;
        const artifact = summary?.outputs[output];
        if (!artifact) continue;
        if (!best || newest.startedAt > best.at) best = { id: artifact.id, at: newest.startedAt };
        break;
      }
    }
    return best?.id;
  });

/** Resolves a target string; fails with `QueryError` when it names nothing or several things. */
export const resolveTarget = (
  target: string,
  view: LineageView,
): Effect.Effect<Target, QueryError | StoreError, ObjectStore> =>
  Effect.gen(function* () {
    const store = yield* ObjectStore;
    if (/^[0-9a-f]{4,64}$/.test(target)) {
      const id = yield* store.resolve(target).pipe(
        Effect.catchReason("StoreError", "AmbiguousId", (reason) =>
          reason.matches === 0
            ? Effect.succeed(undefined)
            : Effect.fail(new QueryError({ detail: `${reason.message}` }))),
      );
      if (id) {
        if (view.runs.has(id)) {
          return { kind: "run", id } as const;
        }
        const head = isIndexed(view) ? view.scenarioHead(id) : undefined;
        if (head) {
          return { kind: "scenario", id, name: head.name } as const;
        }
        const kind = yield* store.identify(id);
        if (kind === "record") {
          const record = yield* store.readRecord(id);
          if (record.type === "run") {
            return { kind: "run", id } as const;
          }
          if (record.type === "scenario") {
            return { kind: "scenario", id, name: String(record.name) } as const;
          }
        }
        return { kind: "artifact", id } as const;
      }
    }
    const colon = target.indexOf(":");
    const [scenario, name] = colon > 0
      ? [target.slice(0, colon), target.slice(colon + 1)]
      : [undefined, target];
    if (
      scenario === "scenario" || (scenario === undefined && (yield* scenarioNames).includes(target))
    ) {
      const sname = scenario === "scenario" ? name : target;
      const id = yield* store.readRef(`scenarios/${sname}`).pipe(Effect.orElseSucceed(() =>
        null
      ));
      if (id) {
        // A ref under scenarios/ is meant to name a scenario record; one that names
        // something else is a question asked wrongly (exit 2), not damage (exit 1).
        const indexed = isIndexed(view) && view.scenarioHead(id) !== undefined;
        const kind = indexed ? "record" : yield* store.identify(id);
        const type = indexed
          ? "scenario"
          : kind === "record"
          ? (yield* store.readRecord(id)).type
          : undefined;
        if (type !== "scenario") {
          const what = type === undefined ? `a ${kind}` : `a record of type "${type}"`;
          return yield* Effect.fail(
            new QueryError({
              detail:
                `Cannot read scenario "${sname}": ref "scenarios/${sname}" points at ${what}, not a scenario record (no scenario run wrote it); give another target, or remove the ref file refs/scenarios/${sname}`,
            }),
          );
        }
        return { kind: "scenario", id, name: sname } as const;
      }
    }
    const output = yield* newestOutput(view, name, scenario);
    if (output) {
      return { kind: "artifact", id: output } as const;
    }
    const byPath = pathId(target);
    if (
      byPath &&
      (view.producedBy.has(byPath) || view.consumedBy.has(byPath) || (yield* store.has(byPath)))
    ) {
      return { kind: "artifact", id: byPath } as const;
    }
    return yield* Effect.fail(notFound(target, yield* closeTo(target, view)));
  });

/**
 * Resolves a target that must be an artifact; `action` says what was asked
 * ("show the impact of") and `hint` how to name an artifact instead.
 */
export const resolveArtifact = (
  target: string,
  view: LineageView,
  action: string,
  hint: string,
): Effect.Effect<string, QueryError | StoreError, ObjectStore> =>
  Effect.flatMap(
    resolveTarget(target, view),
    (resolved) =>
      resolved.kind === "artifact" ? Effect.succeed(resolved.id) : Effect.fail(
        new QueryError({
          detail:
            `Cannot ${action} "${target}": it is a ${resolved.kind}, not an artifact; ${hint}`,
        }),
      ),
  );
