#!/usr/bin/env -S deno run --allow-all
/**
 * The `cairn` command line: `deno task cairn <command>` (`deno task lineage
 * <target>` is `cairn lineage`). Each command lives in its own file and loads the
 * store and the query library only when it runs, so `--help` stays quick.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Command from "effect/cli/Command";
import { cliEnvironment, runMain } from "./_environment.ts";
import { teardown } from "./_report.ts";
import { usagePresenter } from "./_usage.ts";
import { artifactsCommand } from "./artifacts.ts";
import { diffCommand } from "./diff.ts";
import { exportCommand } from "./export.ts";
import { fsckCommand } from "./fsck.ts";
import { gcCommand } from "./gc.ts";
import { graphCommand } from "./graph.ts";
import { impactCommand } from "./impact.ts";
import { lineageCommand } from "./lineage.ts";
import { logsCommand } from "./logs.ts";
import { materializeCommand } from "./materialize.ts";
import { pullCommand } from "./pull.ts";
import { pushCommand } from "./push.ts";
import { reindexCommand } from "./reindex.ts";
import { remoteCommand } from "./remote.ts";
import { runnerCommand } from "./runner.ts";
import { runsCommand } from "./runs.ts";
import { scenariosCommand } from "./scenarios.ts";
import { showCommand } from "./show.ts";
import { sqlCommand } from "./sql.ts";
import { whyCommand } from "./why.ts";

const VERSION = "0.1.0";

/** The root command. */
export const cairn = Command.make("cairn").pipe(
  Command.withDescription(
    "Ask a cairn store where results came from, what depends on them and why steps re-ran; keep it tidy",
  ),
  Command.withSubcommands([
    lineageCommand,
    impactCommand,
    whyCommand,
    logsCommand,
    runsCommand,
    showCommand,
    artifactsCommand,
    scenariosCommand,
    diffCommand,
    graphCommand,
    exportCommand,
    materializeCommand,
    gcCommand,
    fsckCommand,
    reindexCommand,
    remoteCommand,
    pushCommand,
    pullCommand,
    sqlCommand,
    runnerCommand,
  ]),
);

/** Runs the CLI on `Deno.args`; the process exits with the command's code. */
export const main = (): void =>
  Command.run(cairn, { version: VERSION }).pipe(
    Effect.provide([cliEnvironment, usagePresenter]),
    runMain({ disableErrorReporting: true, teardown }),
  );

if (import.meta.main) main();
