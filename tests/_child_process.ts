// Child processes for the tests that drive them: a Deno script started with the
// project's config, its output read line by line as it arrives.
import { fileURLToPath } from "node:url";

const PROJECT = fileURLToPath(new URL("../", import.meta.url));
const encoder = new TextEncoder();

/** The lines of `stream`, without their newlines; a last unterminated line too. */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffered = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
      yield buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
    }
  }
  if (buffered.length > 0) yield buffered;
}

/** A running script with piped standard streams. */
export interface ScriptChild {
  readonly process: Deno.ChildProcess;
  /** Its stdout, line by line (read it once). */
  readonly lines: AsyncGenerator<string>;
  /** All of its stderr, once it exits. */
  readonly stderr: Promise<string>;
  /** Writes `line` and a newline to its stdin. */
  readonly send: (line: string) => Promise<void>;
  /** Closes its stdin; quietly does nothing if it is closed or the child is gone. */
  readonly closeStdin: () => Promise<void>;
}

/**
 * Starts `deno run -A <script> ...args` in the project, with `CAIRN_PROGRESS=0`;
 * `wrapper` runs it under another command (`["faketime", "-m", "-f", "+5s"]`).
 */
export const spawnScript = (
  script: string,
  args: readonly string[],
  env: Record<string, string> = {},
  wrapper: readonly string[] = [],
): ScriptChild => {
  const deno = [
    Deno.execPath(),
    // The import map is found from the working directory, so name it explicitly.
    "run",
    "-A",
    "--config",
    `${PROJECT}deno.json`,
    script,
    ...args,
  ];
  const [command, ...rest] = [...wrapper, ...deno];
  const process = new Deno.Command(command!, {
    args: rest,
    cwd: PROJECT,
    env: { CAIRN_PROGRESS: "0", ...env },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = process.stdin.getWriter();
  let stdinOpen = true;
  return {
    process,
    lines: readLines(process.stdout),
    stderr: new Response(process.stderr).text(),
    send: (line) => writer.write(encoder.encode(`${line}\n`)),
    closeStdin: async () => {
      if (!stdinOpen) return;
      stdinOpen = false;
      try {
        await writer.close();
      } catch {
        // The child is gone (killed or exited): nothing left to tell it.
      }
    },
  };
};
