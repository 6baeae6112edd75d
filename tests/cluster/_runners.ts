// Runner processes for the cluster tests: `runner_main.ts --json` under the project's
// deno.json (this one, or a copy of it elsewhere), importing the tests' steps (or another
// module, or none); each is stopped by the pid it says it has (a sandbox's wrapper
// process may stand between).
import type { RunnerEvent } from "../../lib/pipeline/cluster/mod.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const MAIN = `${ROOT}lib/pipeline/cluster/runner_main.ts`;
const STEPS = `${ROOT}tests/cluster/_steps.ts`;

/** A runner process and what it has said. */
export interface RunnerProcess {
  readonly pid: number;
  readonly port: number;
  /** Every event so far. */
  readonly events: (RunnerEvent & { at: string })[];
  /** Its exit status (or its wrapper's), once it has ended. */
  readonly status: Promise<Deno.CommandStatus>;
  /** Stops it with SIGTERM (drain) and waits; SIGKILL after 30 s. */
  readonly stop: () => Promise<Deno.CommandStatus>;
  /** Kills it with SIGKILL and waits. */
  readonly kill: () => Promise<Deno.CommandStatus>;
}

const freePort = (): number => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
};

/** How a process is started on a host (this one: a plain spawn). */
export type Spawn = (
  command: string,
  args: readonly string[],
  options: { readonly env: Record<string, string>; readonly cwd?: string },
) => Deno.ChildProcess;

/** Starts a process on this host, its stdout piped. */
export const spawnHere: Spawn = (command, args, options) =>
  new Deno.Command(command, {
    args: [...args],
    env: options.env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();

/** Where a runner runs, and what else it is given. */
export interface RunnerPlace {
  /** How its process starts (default: here). */
  readonly spawn?: Spawn;
  /** The address others reach it at (default 127.0.0.1). */
  readonly host?: string;
  /** More arguments (`--remote origin`). */
  readonly args?: readonly string[];
  /** The project it runs from, its `runner_main.ts` and deno.json (default: this one). */
  readonly root?: string;
  /** Its working directory (default: this process's). */
  readonly cwd?: string;
}

/** Starts a runner; resolves once it says it is ready (within 30 s). */
export const startRunner = async (
  sql: string,
  store: string,
  env: Record<string, string> = {},
  module: string | null = STEPS,
  place: RunnerPlace = {},
): Promise<RunnerProcess> => {
  const port = freePort();
  const root = place.root === undefined ? ROOT : `${place.root.replace(/\/$/, "")}/`;
  const child = (place.spawn ?? spawnHere)(Deno.execPath(), [
    "run",
    "--allow-all",
    "--quiet",
    "--config",
    `${root}deno.json`,
    root === ROOT ? MAIN : `${root}lib/pipeline/cluster/runner_main.ts`,
    "--sql",
    sql,
    "--store",
    store,
    ...(module === null ? [] : ["--module", module]),
    "--host",
    place.host ?? "127.0.0.1",
    "--port",
    String(port),
    "--drain",
    "20",
    "--json",
    ...(place.args ?? []),
  ], { env: { CAIRN_PROGRESS: "0", ...env }, ...(place.cwd ? { cwd: place.cwd } : {}) });
  const events: (RunnerEvent & { at: string })[] = [];
  // The runner's own pid, from its "ready" event (the child may be a sandbox's wrapper).
  let pid = child.pid;
  let ready: () => void = () => {};
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  void (async () => {
    let pending = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      let at: number;
      while ((at = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, at);
        pending = pending.slice(at + 1);
        try {
          const event = JSON.parse(line);
          events.push(event);
          if (event.event === "ready") {
            pid = event.pid;
            ready();
          }
        } catch { /* a step's own output */ }
      }
    }
  })();
  const signal = (s: Deno.Signal) => {
    try {
      Deno.kill(pid, s);
    } catch { /* gone */ }
  };
  const stop = async () => {
    signal("SIGTERM");
    const timer = setTimeout(() => signal("SIGKILL"), 30_000);
    const status = await child.status;
    clearTimeout(timer);
    return status;
  };
  const kill = () => (signal("SIGKILL"), child.status);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), 30_000)));
  const started = await Promise.race([isReady, child.status, timeout]);
  clearTimeout(timer);
  if (started !== undefined) {
    await kill();
    throw new Error(`the runner did not start: ${JSON.stringify(started)}`);
  }
  return { pid, port, events, status: child.status, stop, kill };
};

/**
 * Waits (up to 30 s) until the runners hold every shard between them, each some: a
 * runner that joined takes its share only once the others have released it.
 */
export const balanced = async (runners: readonly RunnerProcess[]): Promise<void> => {
  const held = (r: RunnerProcess) => {
    const last = r.events.findLast((e) => e.event === "shards");
    return last?.event === "shards" ? { held: last.held, of: last.of } : { held: 0, of: 0 };
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const counts = runners.map(held);
    const sum = counts.reduce((a, c) => a + c.held, 0);
    if (counts.every((c) => c.held > 0) && sum === counts[0]!.of) return;
    if (Date.now() > deadline) {
      throw new Error(`the runners' shards did not settle: ${JSON.stringify(counts)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
};
