/**
 * `cairn logs <run>` or `cairn logs <scenario> <step@iteration>`: what a command's
 * program printed — a cache hit's logs are the run it reused, a failed invocation's
 * are kept with its scenario record. `--stdout` or `--stderr` prints one stream as it
 * is, for a pipe.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import * as Argument from "effect/cli/Argument";
import * as Command from "effect/cli/Command";
import * as Flag from "effect/cli/Flag";
import type { Logs, LogStream } from "../lib/query/mod.ts";
import {
  jsonFlag,
  plural,
  printJson,
  printLines,
  printText,
  short,
  stepAt,
  style,
} from "./_output.ts";
import { storeFlag, withView } from "./_store.ts";

const decoder = new TextDecoder();

const text = (s: LogStream | null): string => (s ? decoder.decode(s.bytes) : "");

const heading = (logs: Logs): string[] => {
  const who = logs.step === null ? "log" : stepAt(logs.step, logs.iteration);
  const lines = [
    style.bold(`${who}  ${logs.run ? `run ${short(logs.run)}` : "failed (no run recorded)"}`),
  ];
  if (logs.hitOf) {
    lines.push(style.dim("the invocation was a cache hit: these are that run's logs"));
  }
  return lines;
};

const section = (name: string, s: LogStream | null): string[] => {
  if (!s) return [];
  const body = text(s);
  const lines = body === "" ? [] : body.replace(/\n$/, "").split("\n");
  return [
    style.dim(`── ${name} (${plural(s.bytes.length, "byte")}, ${plural(lines.length, "line")}) ──`),
    ...lines,
  ];
};

/** The `logs` command. */
export const logsCommand = Command.make(
  "logs",
  {
    target: Argument.String("run-or-scenario").pipe(
      Argument.withDescription("A run id (or unique prefix), a log's id, or a scenario name"),
    ),
    stepAt: Argument.String("step@iteration").pipe(
      Argument.withDescription("With a scenario: the command's invocation, e.g. congestion@3"),
      Argument.optional,
    ),
    stdout: Flag.Boolean("stdout").pipe(
      Flag.withDescription("Print only its stdout, as it is"),
      Flag.withDefault(false),
    ),
    stderr: Flag.Boolean("stderr").pipe(
      Flag.withDescription("Print only its stderr, as it is"),
      Flag.withDefault(false),
    ),
    json: jsonFlag,
    store: storeFlag,
  },
  ({ target, stepAt: at, stdout, stderr, json, store }) =>
    withView(store, (view, q) =>
      Effect.gen(function* () {
        const logs = yield* q.commandLogs(view, target, Option.getOrUndefined(at));
        if (json) {
          const stream = (s: LogStream | null) => (s ? { id: s.id, text: text(s) } : null);
          return yield* printJson({
            run: logs.run,
            step: logs.step,
            iteration: logs.iteration,
            hitOf: logs.hitOf,
            stdout: stream(logs.stdout),
            stderr: stream(logs.stderr),
          });
        }
        if (stdout !== stderr) return yield* printText(text(stdout ? logs.stdout : logs.stderr));
        yield* printLines([
          ...heading(logs),
          ...section("stdout", logs.stdout),
          ...section("stderr", logs.stderr),
        ]);
      }), { remote: true }),
).pipe(
  Command.withDescription("Print what a command's program wrote to stdout and stderr"),
  Command.withExamples([
    { command: "cairn logs 3fa9c2", description: "The logs of a run" },
    {
      command: "cairn logs baseline congestion@3 --stderr",
      description: "The stderr of a command in a scenario (a failed one's too)",
    },
  ]),
);
