/**
 * How a usage error reads: `error: <what was wrong>` first, on stderr, then the
 * command's usage line and where its help is — not the whole help (30 lines on
 * stdout, the problem last). `--help` and `--version` print as effect/cli prints
 * them.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import type * as Layer from "effect/Layer";
import * as CliOutput from "effect/cli/CliOutput";

const stderr = (text: string): Effect.Effect<void> =>
  Effect.sync(() => {
    try {
      Deno.stderr.writeSync(new TextEncoder().encode(text));
    } catch {
      // stderr closed: nothing more can be said.
    }
  });

type CliProblem = CliOutput.Presenter.InvalidInvocation["errors"][number];

// One line per problem; effect/cli's "Did you mean this?" block folded into it.
const line = (error: CliProblem): string => {
  const suggestions = "suggestions" in error ? error.suggestions as readonly string[] : [];
  const message = suggestions.length > 0
    ? error.message.slice(0, error.message.indexOf("\n\n  Did you mean"))
    : error.message;
  const hint = suggestions.length > 0
    ? `; did you mean ${suggestions.map((s) => `"${s}"`).join(" or ")}?`
    : "";
  return `error: ${message.replace(/\s*\n\s*/g, " ").trim()}${hint}`;
};

/** The presenter `cairn` runs with. */
export const usagePresenter: Layer.Layer<never> = CliOutput.layerPresenter({
  present: (event) => {
    if (event._tag !== "InvalidInvocation") return CliOutput.defaultPresenter.present(event);
    const command = event.commandPath.join(" ");
    return stderr(
      [
        ...event.errors.map(line),
        `usage: ${event.helpDoc.usage}`,
        `"${command} --help" lists its ${
          event.helpDoc.subcommands?.length
            ? "commands"
            : event.helpDoc.args?.length
            ? "arguments and flags"
            : "flags"
        }`,
      ].join("\n") + "\n",
    );
  },
});
