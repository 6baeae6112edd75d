/**
 * `cairn runs [filters]`: step invocations of every scenario run, newest first.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import * as Command from "effect/cli/Command";
import * as Flag from "effect/cli/Flag";
import type { RunFilter } from "../lib/query/mod.ts";
import { jsonFlag, printJson, printLines, short, stepAt, style, table } from "./_output.ts";
import { storeFlag, withView } from "./_store.ts";
import { formatMs } from "../lib/query/render_lineage.ts";

const text = (name: string, description: string, metavar: string) =>
  Flag.String(name).pipe(
    Flag.withDescription(description),
    Flag.withMetavar(metavar),
    Flag.optional,
  );

const count = (name: string, description: string) =>
  Flag.Int(name).pipe(
    Flag.withDescription(description),
    Flag.withMetavar("N"),
    Flag.filter((n) => n >= 0, (n) => `--${name} must be 0 or more, not ${n}`),
    Flag.optional,
  );

// `{ key: value }` for a flag that was given, `{}` otherwise (filters take no `undefined`).
const given = <K extends string, A>(key: K, flag: Option.Option<A>): { [P in K]?: A } =>
  Option.isSome(flag) ? { [key]: flag.value } as { [P in K]: A } : {};

const flags = {
  scenario: text("scenario", "Only runs of this scenario", "S"),
  step: text("step", "Only invocations of this step", "NAME"),
  iteration: count("iteration", "Only this iteration"),
  status: Flag.Literals("status", ["ok", "failed"]).pipe(
    Flag.withDescription("Only invocations that ended so"),
    Flag.optional,
  ),
  tag: text("tag", "Only scenario runs with this tag", "T"),
  facet: Flag.String("facet").pipe(
    Flag.withDescription("Only scenario runs whose facet has this value"),
    Flag.withMetavar("KEY=VALUE"),
    Flag.filter((f) => f.includes("="), () => "KEY=VALUE"),
    Flag.optional,
  ),
  hit: Flag.Boolean("hit").pipe(Flag.withDescription("Only cache hits"), Flag.withDefault(false)),
  miss: Flag.Boolean("miss").pipe(
    Flag.withDescription("Only cache misses (runs that executed)"),
    Flag.withDefault(false),
  ),
  limit: count("limit", "At most N rows"),
};

/** The `runs` command. */
export const runsCommand = Command.make(
  "runs",
  { ...flags, json: jsonFlag, store: storeFlag },
  (options) =>
    withView(options.store, (view, q) =>
      Effect.gen(function* () {
        if (options.hit && options.miss) {
          return yield* new q.QueryError({
            detail:
              "Cannot list runs that are both hits and misses: give --hit or --miss, not both",
          });
        }
        const filter: RunFilter = {
          ...given("scenario", options.scenario),
          ...given("step", options.step),
          ...given("iteration", options.iteration),
          ...given("status", options.status),
          ...given("tag", options.tag),
          ...given("facet", options.facet),
          ...(options.hit || options.miss ? { hit: options.hit } : {}),
          ...given("limit", options.limit),
        };
        const rows = yield* q.listRuns(view, filter);
        // Nothing matched: a misspelt name is an error, not an empty answer.
        if (rows.length === 0) yield* q.requireRunFilterNames(view, filter);
        if (options.json) return yield* printJson(rows);
        if (rows.length === 0) return yield* printLines(["no runs match"]);
        yield* printLines(table(
          ["run", "step", "scenario", "record", "cache", "status", "duration", "started"],
          rows.map((r) => [
            short(r.run),
            stepAt(r.step, r.iteration),
            r.scenario,
            short(r.scenarioRecord),
            r.hit ? "hit" : "miss",
            r.status === "ok" ? r.status : style.red(r.status),
            formatMs(r.durationMs),
            r.startedAt,
          ]),
          [6],
        ));
      })),
).pipe(Command.withDescription("List step invocations, newest scenario run first"));
