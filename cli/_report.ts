/**
 * How a command ends: exit 0 on success; for a question that cannot be answered
 * as asked (an unknown or ambiguous id, a missing store, a store of another format,
 * a query error, a misspelt name) one line `error: ...` on stderr and exit 2; for
 * a usage error exit 2 after `_usage.ts` has printed the problem and a short usage;
 * for a store that is
 * damaged or unreadable one line and exit 1; for anything unexpected the full cause
 * (with stack) and exit 1.
 *
 * Errors are recognised by their `_tag`, not by class, so that this module (loaded
 * for `--help`) does not load the store and the `effect` barrel it imports.
 *
 * @module
 */
import * as Cause from "effect/Cause";
import * as Data from "effect/Data";
import * as Exit from "effect/Exit";

/** A command that has printed its report and only needs to set the exit code (fsck). */
export class ExitCode extends Data.TaggedError("ExitCode")<{ readonly code: number }> {}

// Store failures that mean "you asked for something that is not there or not valid".
const USER_REASONS = new Set([
  "AmbiguousId",
  "UnsupportedStore",
  "Unsupported",
  "InvalidInput",
  "InvalidRefName",
  "DestinationExists",
  "UnsafePath",
  "ObjectNotFound",
]);

type Tagged = { readonly _tag: string; readonly message: string };

const isTagged = (u: unknown): u is Tagged =>
  typeof u === "object" && u !== null && typeof (u as Tagged)._tag === "string";

const oneLine = (message: string): string => message.replace(/\s*\n\s*/g, " ").trim();

const stderr = (text: string): void => {
  try {
    Deno.stderr.writeSync(new TextEncoder().encode(text.endsWith("\n") ? text : text + "\n"));
  } catch {
    // stderr closed: nothing more can be said.
  }
};

/** The exit code for a failed or defective run, after printing what the user needs. */
export const exitCodeOf = (cause: Cause.Cause<unknown>): number => {
  const error = Cause.squash(cause);
  if (isTagged(error)) {
    switch (error._tag) {
      case "ExitCode":
        return (error as unknown as ExitCode).code;
      case "ShowHelp":
        // Printed already: the help, or for a usage error what was wrong (_usage.ts).
        return (error as unknown as { errors: readonly unknown[] }).errors.length > 0 ? 2 : 0;
      case "QueryError":
      case "RemoteError":
        stderr(`error: ${oneLine(error.message)}`);
        return 2;
      case "RemoteUnavailable":
        stderr(`error: ${oneLine(error.message)}`);
        return 1;
      case "StoreError": {
        const reason = (error as unknown as { reason: { _tag: string } }).reason._tag;
        stderr(`error: ${oneLine(error.message)}`);
        return USER_REASONS.has(reason) ? 2 : 1;
      }
    }
  }
  stderr(`error: unexpected failure (a bug in cairn; please report it):\n${Cause.pretty(cause)}`);
  return 1;
};

/** The teardown for `NodeRuntime.runMain`: prints as described above and exits. */
export const teardown = <E, A>(exit: Exit.Exit<A, E>, onExit: (code: number) => void): void => {
  if (Exit.isSuccess(exit)) return onExit(0);
  if (Cause.hasInterruptsOnly(exit.cause)) return onExit(130);
  onExit(exitCodeOf(exit.cause));
};
