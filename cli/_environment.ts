/**
 * What effect/cli needs from the host (standard I/O, the terminal, a path module,
 * a file system, a process spawner), built on Deno's own APIs, and a `runMain`
 * that turns Ctrl-C into interruption and the teardown's code into the exit code.
 *
 * Why not `@effect/platform-node`: its services load Deno's Node compatibility
 * layer (node:readline, node:child_process, node:fs, …), which costs ~70 ms of a
 * start-up budget of 150 ms, and the CLI uses none of them: it never prompts,
 * spawns or validates paths through effect/cli.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as FileSystem from "effect/FileSystem";
import * as Layer from "effect/Layer";
import * as Path from "effect/Path";
import { badArgument, systemError } from "effect/PlatformError";
import type * as Cause from "effect/Cause";
import * as Queue from "effect/Queue";
import * as Runtime from "effect/Runtime";
import * as Sink from "effect/Sink";
import * as Stdio from "effect/Stdio";
import * as Stream from "effect/Stream";
import * as Terminal from "effect/Terminal";
import * as ChildProcessSpawner from "effect/process/ChildProcessSpawner";

const encoder = new TextEncoder();

const writeAll = (target: typeof Deno.stdout, method: string, chunk: string | Uint8Array) =>
  Effect.try({
    try: () => {
      const bytes = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
      let offset = 0;
      while (offset < bytes.length) offset += target.writeSync(bytes.subarray(offset));
    },
    catch: (cause) =>
      systemError({ _tag: "Unknown", module: "Stdio", method, description: String(cause), cause }),
  });

const isTerminal = (target: { isTerminal(): boolean }) => Effect.sync(() => target.isTerminal());

const consoleSize = (): Terminal.Size => {
  try {
    return Deno.consoleSize();
  } catch {
    // Not a terminal (output piped): effect/cli then wraps at its default width.
    return { columns: 0, rows: 0 };
  }
};

const stdio = Stdio.make({
  args: Effect.sync(() => Deno.args),
  stdout: () => Sink.forEach((chunk) => writeAll(Deno.stdout, "stdout", chunk)),
  stderr: () => Sink.forEach((chunk) => writeAll(Deno.stderr, "stderr", chunk)),
  stdin: Stream.fromReadableStream({
    evaluate: () => Deno.stdin.readable,
    onError: (cause) => badArgument({ module: "Stdio", method: "stdin", cause }),
  }),
  stdinIsTerminal: isTerminal(Deno.stdin),
  stdoutIsTerminal: isTerminal(Deno.stdout),
  stderrIsTerminal: isTerminal(Deno.stderr),
});

// An input queue that is already closed: cairn never prompts.
const closedQueue = <A>() => Effect.tap(Queue.make<A, Cause.Done>(), (queue) => Queue.end(queue));

const terminal = Terminal.make({
  columns: Effect.sync(() => consoleSize().columns),
  rows: Effect.sync(() => consoleSize().rows),
  size: Effect.tap(closedQueue<Terminal.Size>(), (queue) => Queue.offer(queue, consoleSize())),
  readInput: closedQueue<Terminal.UserInput>(),
  readLine: Effect.fail(new Terminal.QuitError()),
  display: (text) => writeAll(Deno.stdout, "display", text),
});

const spawner = ChildProcessSpawner.make(() =>
  Effect.fail(
    badArgument({
      module: "ChildProcessSpawner",
      method: "spawn",
      description: "the cairn CLI does not start processes",
    }),
  )
);

/** The services effect/cli requires, on Deno APIs. */
export const cliEnvironment = Layer.mergeAll(
  Layer.succeed(Stdio.Stdio, stdio),
  Layer.succeed(Terminal.Terminal, terminal),
  Layer.succeed(ChildProcessSpawner.ChildProcessSpawner, spawner),
  FileSystem.layerNoop({}),
  Path.layer,
);

/** Runs the main effect: Ctrl-C or SIGTERM interrupts it; the teardown's code ends the process. */
export const runMain = Runtime.makeRunMain(({ fiber, teardown }) => {
  let signalled = false;
  const onSignal = () => {
    signalled = true;
    fiber.interruptUnsafe(fiber.id);
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  fiber.addObserver((exit) => {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    teardown(exit, (code) => {
      if (signalled || code !== 0) Deno.exit(code);
    });
  });
});
