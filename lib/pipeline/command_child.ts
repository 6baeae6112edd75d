// A command's program as a child process: started in a session and process group of
// its own (so a terminal's Ctrl-C reaches cairn, which stops it in order), its stdout
// and stderr captured byte for byte (in memory up to 1 MiB, then in a file under the
// store's tmp/: bounded memory whatever it prints) and echoed live as lines. When it
// ends, is interrupted or runs past its timeout, its whole process group is signalled
// — the grandchildren it started too — so nothing it started outlives the step.
//
// Deno.Command rather than effect's ChildProcess: that one needs a platform layer
// (@effect/platform-node), which the project dropped for its start-up cost.
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import type { CommandEnd } from "./errors.ts";

/** How to start and stop the program. */
export interface ChildSpec {
  readonly program: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** Its whole environment (nothing else is inherited). */
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number | undefined;
  /** Where captured output beyond 1 MiB spills (a directory that exists). */
  readonly spillDir: string;
  /** Called with complete lines of output as they arrive. */
  readonly echo: (lines: readonly string[]) => void;
  /**
   * Stops what signalling the process group cannot reach (a container, run by the
   * runtime's own daemon), within the grace period; waited for.
   */
  readonly stop?: () => Promise<void>;
}

/** One captured stream. */
export interface Captured {
  readonly bytes: number;
  /** The whole output, when it stayed in memory. */
  readonly memory: Uint8Array | undefined;
  /** The file holding it, when it spilled. */
  readonly file: string | undefined;
  /** Its last lines (at most 20), and how many lines it had. */
  readonly tail: readonly string[];
  readonly lines: number;
  /** Lines that say a file could not be found or opened (for naming undeclared reads). */
  readonly notFound: readonly string[];
}

/** How the program ended, and what it printed. */
export interface ChildEnd {
  /** Undefined: exit code 0. */
  readonly failure: CommandEnd | undefined;
  readonly stdout: Captured;
  readonly stderr: Captured;
  readonly durationMs: number;
}

const MEMORY_LIMIT = 1 << 20;
const TAIL = 20;
const NOT_FOUND =
  /no such file|not found|cannot open|can't open|could not open|enoent|does not exist/i;
/** Time a stopped program gets between SIGTERM and SIGKILL. */
export const STOP_GRACE_MS = 2000;

let spills = 0;

class Capture {
  #chunks: Uint8Array[] = [];
  #inMemory = 0;
  #file: Deno.FsFile | undefined;
  #open = false;
  #path: string | undefined;
  #decoder = new TextDecoder();
  #partial = "";
  bytes = 0;
  lines = 0;
  readonly tail: string[] = [];
  readonly notFound: string[] = [];

  constructor(
    readonly spillDir: string,
    readonly name: string,
    readonly echo: (l: readonly string[]) => void,
  ) {}

  write(chunk: Uint8Array): void {
    this.bytes += chunk.length;
    if (this.#file) this.#writeFile(chunk);
    else if (this.#inMemory + chunk.length <= MEMORY_LIMIT) {
      this.#chunks.push(chunk.slice());
      this.#inMemory += chunk.length;
    } else {
      this.#path = `${this.spillDir}/log-${Deno.pid}-${spills++}-${this.name}`;
      this.#file = Deno.openSync(this.#path, { createNew: true, write: true, mode: 0o600 });
      this.#open = true;
      for (const c of this.#chunks) this.#writeFile(c);
      this.#chunks = [];
      this.#writeFile(chunk);
    }
    const text = this.#partial + this.#decoder.decode(chunk, { stream: true });
    const lines = text.split("\n");
    this.#partial = lines.pop()!;
    if (this.#partial.length > 65536) {
      lines.push(this.#partial);
      this.#partial = "";
    }
    this.#lines(lines);
  }

  #writeFile(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) offset += this.#file!.writeSync(chunk.subarray(offset));
  }

  #lines(lines: readonly string[]): void {
    if (lines.length === 0) return;
    this.lines += lines.length;
    for (const line of lines) {
      const shown = line.length > 1000 ? `${line.slice(0, 1000)}…` : line;
      this.tail.push(shown);
      if (NOT_FOUND.test(line) && this.notFound.length < 200) this.notFound.push(shown);
    }
    if (this.tail.length > TAIL) this.tail.splice(0, this.tail.length - TAIL);
    this.echo(lines);
  }

  finish(): Captured {
    const rest = this.#partial + this.#decoder.decode();
    this.#partial = "";
    if (rest !== "") this.#lines([rest]);
    this.#close();
    let memory: Uint8Array | undefined;
    if (!this.#path) {
      memory = new Uint8Array(this.#inMemory);
      let at = 0;
      for (const c of this.#chunks) {
        memory.set(c, at);
        at += c.length;
      }
    }
    return {
      bytes: this.bytes,
      memory,
      file: this.#path,
      tail: [...this.tail],
      lines: this.lines,
      notFound: [...this.notFound],
    };
  }

  #close(): void {
    if (this.#open) this.#file!.close();
    this.#open = false;
  }

  /** Removes the spill file if it is still there (it is moved into the store when kept). */
  discard(): void {
    this.#close();
    if (this.#path) {
      try {
        Deno.removeSync(this.#path);
      } catch {
        // gone already: moved into the store
      }
    }
  }
}

interface Running {
  readonly child: Deno.ChildProcess;
  readonly stdout: Capture;
  readonly stderr: Capture;
  readonly drained: Promise<void>;
  readonly readers: readonly ReadableStreamDefaultReader<Uint8Array>[];
  readonly started: number;
  timedOut: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

// Signals the program's process group (its pid: it leads a session of its own).
const signalGroup = (pid: number, signal: "SIGTERM" | "SIGKILL"): void => {
  try {
    Deno.kill(-pid, signal);
  } catch {
    // the group is gone
  }
};

// Stops the program: SIGTERM to its group, SIGKILL after the grace period, then waits.
const stopAndWait = async (spec: ChildSpec, running: Running): Promise<void> => {
  const stopping = spec.stop?.();
  signalGroup(running.child.pid, "SIGTERM");
  const killer = setTimeout(() => signalGroup(running.child.pid, "SIGKILL"), STOP_GRACE_MS);
  try {
    await running.child.status;
    await stopping;
  } finally {
    clearTimeout(killer);
  }
  // What it left behind in its group (a grandchild that ignored SIGTERM) goes too.
  signalGroup(running.child.pid, "SIGKILL");
  await drainedOrCut(running);
};

// Its output ends when the last process holding its pipes does. One that left the
// process group (a daemon: setsid() after fork()) could hold them for ever: after the
// grace period the rest of its output is not read.
const drainedOrCut = async (running: Running): Promise<void> => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cut = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      for (const reader of running.readers) reader.cancel().catch(() => {});
      resolve();
    }, STOP_GRACE_MS);
  });
  await Promise.race([running.drained, cut]);
  clearTimeout(timer);
  await running.drained;
};

const start = (spec: ChildSpec): Running => {
  const child = new Deno.Command(spec.program, {
    args: [...spec.args],
    cwd: spec.cwd,
    env: { ...spec.env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    // setsid(): a session and process group of its own, led by the child.
    detached: true,
  }).spawn();
  const stdout = new Capture(spec.spillDir, "stdout", spec.echo);
  const stderr = new Capture(spec.spillDir, "stderr", spec.echo);
  const readers = [child.stdout.getReader(), child.stderr.getReader()];
  const drain = async (reader: ReadableStreamDefaultReader<Uint8Array>, capture: Capture) => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        capture.write(value);
      }
    } catch {
      // cancelled: see `drained`
    }
  };
  const running: Running = {
    child,
    stdout,
    stderr,
    drained: Promise.all([drain(readers[0]!, stdout), drain(readers[1]!, stderr)]).then(() => {}),
    readers,
    started: performance.now(),
    timedOut: false,
    timer: undefined,
  };
  if (spec.timeoutMs !== undefined) {
    running.timer = setTimeout(() => {
      running.timedOut = true;
      void stopAndWait(spec, running);
    }, spec.timeoutMs);
  }
  return running;
};

const wait = async (spec: ChildSpec, running: Running): Promise<ChildEnd> => {
  const status = await running.child.status;
  clearTimeout(running.timer);
  // Whatever it started and left running (and holding its pipes open) ends with it.
  signalGroup(running.child.pid, "SIGKILL");
  await drainedOrCut(running);
  const durationMs = performance.now() - running.started;
  const failure: CommandEnd | undefined = running.timedOut
    ? { timeoutMs: spec.timeoutMs! }
    : status.signal
    ? { signal: status.signal }
    : status.code !== 0
    ? { code: status.code }
    : undefined;
  return { failure, stdout: running.stdout.finish(), stderr: running.stderr.finish(), durationMs };
};

/**
 * Runs the program to its end. Interrupted (Ctrl-C, SIGTERM to cairn), it stops the
 * program's whole process group and waits for it before the interruption goes on.
 * `release` runs after the captured output has been used (it removes spill files).
 */
export const runChild = <A, E>(
  spec: ChildSpec,
  use: (end: ChildEnd) => Effect.Effect<A, E>,
  cannotStart: (e: unknown) => E,
): Effect.Effect<A, E> =>
  Effect.acquireUseRelease(
    Effect.try({ try: () => start(spec), catch: cannotStart }),
    (running) => Effect.flatMap(Effect.promise(() => wait(spec, running)), use),
    (running, exit) =>
      Effect.promise(async () => {
        if (Exit.hasInterrupts(exit)) {
          clearTimeout(running.timer);
          await stopAndWait(spec, running);
        }
        running.stdout.discard();
        running.stderr.discard();
      }),
  );
