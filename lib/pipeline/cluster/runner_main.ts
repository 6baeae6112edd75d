/**
 * A cluster runner's process (what `cairn runner` starts, under the pipeline project's
 * deno.json so that its modules' imports resolve):
 * `deno run -A runner_main.ts --sql URL --store DIR [--remote NAME] [--module FILE]...
 * [--host H] [--port N] [--drain SECONDS] [--json]`. SIGTERM or SIGINT drains it (see
 * `runner.ts`) and it exits 0; it exits 1 when it cannot start, saying why.
 *
 * @module
 */
import * as Cause from "effect/Cause";
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import * as Fiber from "effect/Fiber";
import { parseArgs } from "node:util";
import { runner, type RunnerEvent } from "./runner.ts";

const text = (e: RunnerEvent): string => {
  switch (e.event) {
    case "ready":
      return `runner ${e.address} (pid ${e.pid}) ready, steps' modules from ${
        e.projects.join(", ")
      }`;
    case "draining":
      return `runner ${e.address} draining: finishing the invocations it runs`;
    case "stopped":
      return `runner ${e.address} stopped`;
    case "log":
      return e.line;
    case "shards":
      return `holds ${e.held} of ${e.of} shards`;
    default: {
      const at = e.iteration === null ? "" : `@${e.iteration}`;
      return `${e.event} ${e.step}${at} ${e.key.slice(0, 12)} ${e.ms} ms${
        e.detail ? `: ${e.detail}` : ""
      }`;
    }
  }
};

const USAGE =
  "usage: cairn runner --sql postgres://user@host:port/db --store DIR [--remote NAME] [--module FILE]... [--host H] [--port N] [--drain SECONDS] [--json]";

/** Runs a runner from command-line arguments; resolves to the exit code. */
export const runnerMain = async (args: readonly string[]): Promise<number> => {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        sql: { type: "string" },
        store: { type: "string" },
        remote: { type: "string" },
        module: { type: "string", multiple: true },
        host: { type: "string" },
        port: { type: "string" },
        drain: { type: "string" },
        json: { type: "boolean" },
      },
    }).values;
  } catch (e) {
    console.error(`${e instanceof Error ? e.message : e}\n${USAGE}`);
    return 2;
  }
  const port = parsed.port === undefined ? undefined : Number(parsed.port);
  const drain = parsed.drain === undefined ? undefined : Number(parsed.drain);
  if (
    !parsed.sql || !parsed.store || (port !== undefined && !Number.isInteger(port)) ||
    (drain !== undefined && !(drain >= 0))
  ) {
    console.error(USAGE);
    return 2;
  }
  const json = parsed.json === true;
  const log = (e: RunnerEvent) => {
    const at = new Date().toISOString();
    console.log(json ? JSON.stringify({ at, ...e }) : `${at} ${text(e)}`);
  };
  const fiber = Effect.runFork(runner({
    sql: parsed.sql,
    store: parsed.store,
    modules: parsed.module ?? [],
    ...(parsed.remote === undefined ? {} : { remote: parsed.remote }),
    ...(parsed.host === undefined ? {} : { host: parsed.host }),
    ...(port === undefined ? {} : { port }),
    ...(drain === undefined ? {} : { drainSeconds: drain }),
    log,
  }));
  const stop = () => void Effect.runFork(Fiber.interrupt(fiber));
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  const exit = await Effect.runPromise(Fiber.await(fiber));
  Deno.removeSignalListener("SIGTERM", stop);
  Deno.removeSignalListener("SIGINT", stop);
  if (Exit.isSuccess(exit) || Cause.hasInterruptsOnly(exit.cause)) return 0;
  const error = Cause.findErrorOption(exit.cause);
  console.error(error._tag === "Some" ? error.value.message : Cause.pretty(exit.cause));
  return 1;
};

if (import.meta.main) Deno.exit(await runnerMain(Deno.args));
