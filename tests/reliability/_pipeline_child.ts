// The parent's side of the reliability suites' child processes: start
// _fixtures/crash_pipeline.ts (or another fixture) as a user would run a pipeline,
// see when its program has started, kill it, collect what it printed; read the side
// file in which it lists the step invocations that had returned.
import { fileURLToPath } from "node:url";
import { spawnScript } from "../_child_process.ts";

/** How a child ended, with its last stdout line parsed as JSON (when it printed one). */
export interface Finished<A> {
  readonly status: Deno.CommandStatus;
  readonly result: A | undefined;
  readonly stderr: string;
}

/** A running fixture process. */
export interface FixtureChild<A> {
  readonly process: Deno.ChildProcess;
  /** True once the child printed its first line ("started" or "ready"); false if it ended first. */
  readonly started: Promise<boolean>;
  readonly finished: Promise<Finished<A>>;
  /** Sends SIGKILL unless the process has already ended. */
  readonly kill: () => void;
  /** Closes the child's stdin (fixtures that loop until told to stop). */
  readonly closeStdin: () => Promise<void>;
  /** Writes a line to the child's stdin. */
  readonly send: (line: string) => Promise<void>;
  /** Resolves with the first stdout line `matching`, or undefined if the child ends first. */
  readonly lineMatching: (matching: RegExp) => Promise<string | undefined>;
}

// Children not yet finished: a failing suite kills them before removing its files.
const running = new Map<Deno.ChildProcess, FixtureChild<unknown>>();

/** Starts `deno run -A tests/reliability/_fixtures/<fixture> ...args`. */
export const spawnFixture = <A>(
  fixture: string,
  args: readonly string[],
  env: Record<string, string> = {},
  wrapper: readonly string[] = [],
): FixtureChild<A> => {
  const { process, lines: stdout, stderr, closeStdin, send } = spawnScript(
    fileURLToPath(new URL(`./_fixtures/${fixture}`, import.meta.url)),
    args,
    env,
    wrapper,
  );
  let onStarted: (started: boolean) => void = () => {};
  const started = new Promise<boolean>((resolve) => onStarted = resolve);
  const all: string[] = [];
  let waiters: (() => void)[] = [];
  let done = false;
  const wake = () => {
    const woken = waiters;
    waiters = [];
    for (const w of woken) w();
  };
  const lines = (async () => {
    for await (const line of stdout) {
      if (all.length === 0) onStarted(true);
      all.push(line);
      wake();
    }
    onStarted(false);
    done = true;
    wake();
    return all;
  })();
  const lineMatching = async (matching: RegExp): Promise<string | undefined> => {
    for (;;) {
      const found = all.find((line) => matching.test(line));
      if (found !== undefined) return found;
      if (done) return undefined;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  let ended = false;
  const finished = (async (): Promise<Finished<A>> => {
    const status = await process.status;
    ended = true;
    await closeStdin();
    const out = await lines;
    const last = out.at(-1);
    let result: A | undefined;
    try {
      result = last === undefined ? undefined : JSON.parse(last) as A;
    } catch {
      result = undefined;
    }
    running.delete(process);
    return { status, result, stderr: await stderr };
  })();
  const child: FixtureChild<A> = {
    process,
    started,
    finished,
    kill: () => {
      if (ended) return;
      try {
        process.kill("SIGKILL");
      } catch {
        // It exited between the check and the signal.
      }
    },
    closeStdin,
    send,
    lineMatching,
  };
  running.set(process, child);
  return child;
};

/** Kills and reaps every child still running (a failing suite's clean-up). */
export const killAll = async (): Promise<void> => {
  for (const child of [...running.values()]) {
    child.kill();
    await child.finished;
  }
};

/** What crash_pipeline.ts prints when it completes. */
export interface PipelineResult {
  readonly final: number;
  /** Output ids of every invocation, by "step@iteration". */
  readonly outputs: Record<string, Record<string, string>>;
}

/** Starts crash_pipeline.ts over store `root`. */
export const spawnPipeline = (
  options: {
    readonly root: string;
    readonly sideFile: string;
    readonly scenario: string;
    readonly variant: number;
    readonly iterations: number;
    readonly env?: Record<string, string>;
  },
): FixtureChild<PipelineResult> =>
  spawnFixture<PipelineResult>("crash_pipeline.ts", [
    options.root,
    options.sideFile,
    options.scenario,
    String(options.variant),
    String(options.iterations),
  ], options.env);

/** One line of a side file: a step invocation that had returned. */
export interface Completed {
  readonly label: string;
  readonly hit: boolean;
  /** Milliseconds since the child's program started. */
  readonly ms: number;
}

/** The side file's complete lines, in order (none when it does not exist yet). */
export const readSideFile = (path: string): Completed[] => {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  return text.split("\n").filter((l) => l.length > 0).map((line) => {
    const [label, verdict, ms] = line.split(" ");
    if (!label || (verdict !== "hit" && verdict !== "miss") || ms === undefined) {
      throw new Error(`Cannot read side file "${path}": bad line "${line}"`);
    }
    return { label, hit: verdict === "hit", ms: Number(ms) };
  });
};

/** The labels of crash_pipeline.ts's invocations, in order. */
export const labelsOf = (iterations: number): string[] => [
  "seed@-",
  ...Array.from(
    { length: iterations },
    (_, i) => ["params", "field", "grid", "reduce"].map((s) => `${s}@${i}`),
  ).flat(),
];

/** Resolves after `ms`, or early (false) when `until` settles first; clears its timer. */
export const sleepUnless = (ms: number, until: Promise<unknown>): Promise<boolean> => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(true), ms)),
    until.then(() => false),
  ]).finally(() => clearTimeout(timer));
};
