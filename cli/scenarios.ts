/**
 * `cairn scenarios`: every scenario with its history of records, newest first —
 * status, cache hits and misses, duration.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import * as Command from "effect/cli/Command";
import * as Flag from "effect/cli/Flag";
import type { ScenarioSummary } from "../lib/query/mod.ts";
import { formatMs } from "../lib/query/render_lineage.ts";
import { appendAll, jsonFlag, printJson, printLines, short, style, table } from "./_output.ts";
import { storeFlag, withView } from "./_store.ts";

/** One record of a scenario's history, as `--json` prints it. */
export type HistoryRow = ScenarioSummary;

// "converged 7/20", "not converged 20/20", or "10" for a loop of fixed length.
const describeLoop = (l: ScenarioSummary["loops"][number]): string =>
  l.converged === null
    ? String(l.iterations)
    : `${l.converged ? "converged" : "not converged"} ${l.iterations}/${l.of}`;

/** The `scenarios` command. */
export const scenariosCommand = Command.make(
  "scenarios",
  {
    limit: Flag.Int("limit").pipe(
      Flag.withDescription("Show at most N records of each history"),
      Flag.withMetavar("N"),
      Flag.filter((n) => n >= 1, (n) => `--limit must be 1 or more, not ${n}`),
      Flag.optional,
    ),
    json: jsonFlag,
    store: storeFlag,
  },
  ({ limit, json, store }) =>
    withView(
      store,
      (view, q) =>
        Effect.gen(function* () {
          const scenarios = yield* q.listScenarios(view, Option.getOrElse(limit, () => Infinity));
          if (json) return yield* printJson(scenarios);
          if (scenarios.length === 0) return yield* printLines(["no scenarios in this store"]);
          const lines: string[] = [];
          for (const { name, history } of scenarios) {
            if (lines.length > 0) lines.push("");
            lines.push(
              style.bold(`${name}  (${history.length} record${history.length === 1 ? "" : "s"})`),
            );
            const loops = history.some((h) => h.loops.length > 0);
            appendAll(
              lines,
              table(
                [
                  "  record",
                  "started",
                  "status",
                  "hits",
                  "misses",
                  "duration",
                  ...(loops ? ["loops"] : []),
                ],
                history.map((h) => [
                  `  ${short(h.id)}`,
                  h.startedAt,
                  h.status === "ok" ? h.status : style.red(h.status),
                  String(h.hits),
                  String(h.misses),
                  formatMs(h.durationMs),
                  ...(loops ? [h.loops.map(describeLoop).join(", ")] : []),
                ]),
                [3, 4, 5],
              ),
            );
          }
          yield* printLines(lines);
        }),
    ),
).pipe(Command.withDescription("List scenarios, each with its history newest first"));
