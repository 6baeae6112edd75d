// Hosts for the tests that need more than one machine: network namespaces joined by
// a bridge in the root namespace. Each host is `ip netns add cairn-<id>-<i>` with
// `lo` up and one end of a veth pair as its `eth0` (10.R.S.<i+2>/24); the other end
// is on the bridge `cairn<id>`, which holds 10.R.S.1 — the address a service in the
// root namespace binds so that every host reaches it (127.0.0.1 is not reachable from
// a namespace). Hosts reach each other on the bridge too, so no forwarding in the
// root namespace is turned on. Every command runs in its host's own UTS namespace with
// its host's hostname (`unshare --uts`), so what a process records as its host tells
// the hosts apart. `withHosts` removes everything it made — the processes it started
// (by pid), the namespaces, the links — however the test ends.
//
// Needs root and iproute2 (`ip`), util-linux (`unshare`). `hostsTest` registers a
// test that without them says why and passes, or under CI=true fails.
//
// Inside a host the file system is the root namespace's: the same deno binary, DENO_DIR
// and node_modules. Give each command its whole environment (`env` is not merged with
// this process's: test modules in one `deno test --parallel` process share Deno.env).

/** A host: a network namespace with an address on the hosts' network. */
export interface Host {
  /** The network namespace's name (`ip netns exec <netns> …`). */
  readonly netns: string;
  /** Its hostname, as its processes see it (`node:os` `hostname()`). */
  readonly hostname: string;
  /** Its address on the hosts' network (eth0), reachable from the other hosts. */
  readonly address: string;
  /** Starts `cmd` in the host; its pid is killed when `withHosts` ends, if still running. */
  readonly spawn: (cmd: readonly string[], options?: HostCommandOptions) => Deno.ChildProcess;
  /** Runs `cmd` in the host to its end (stdout and stderr piped and decoded). */
  readonly run: (cmd: readonly string[], options?: HostCommandOptions) => Promise<HostOutput>;
}

/** How to start a command in a host. */
export interface HostCommandOptions {
  /** Its whole environment (nothing is inherited; default: only PATH). */
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  readonly stdin?: "piped" | "inherit" | "null";
  readonly stdout?: "piped" | "inherit" | "null";
  readonly stderr?: "piped" | "inherit" | "null";
}

/** What a command run in a host printed, and how it exited. */
export interface HostOutput {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The hosts of one test and the root namespace's side of their network. */
export interface Hosts {
  readonly hosts: readonly Host[];
  /** The root namespace's address on the hosts' network: bind services here. */
  readonly serviceAddress: string;
  /** The network, as CIDR (`10.R.S.0/24`). */
  readonly network: string;
}

const td = new TextDecoder();

const sh = (script: string) =>
  new Deno.Command("sh", { args: ["-c", script], stdout: "null", stderr: "null" }).outputSync()
    .success;

/** Why hosts cannot be made here, or undefined when they can. */
export const hostsProblem: string | undefined = (() => {
  if (Deno.build.os !== "linux") return "network namespaces are Linux only";
  if (Deno.uid() !== 0) return "making network namespaces needs root";
  for (const tool of ["ip", "unshare"]) {
    if (!sh(`command -v ${tool}`)) {
      return `${tool} is not installed (Debian: apt-get install iproute2 util-linux)`;
    }
  }
  return undefined;
})();

const ip = async (...args: string[]) => {
  const out = await new Deno.Command("ip", { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`Cannot make the test's hosts: ip ${args.join(" ")}: ${td.decode(out.stderr)}`);
  }
  return td.decode(out.stdout);
};

// A /24 in 10.0.0.0/8 no interface here uses (the second and third octets at random).
const freeNetwork = async (): Promise<string> => {
  const used = await ip("-o", "-4", "addr");
  for (let tries = 0; tries < 100; tries++) {
    const base = `10.${100 + Math.floor(Math.random() * 150)}.${Math.floor(Math.random() * 256)}`;
    if (!used.includes(` ${base}.`)) return base;
  }
  throw new Error("Cannot make the test's hosts: no free 10.x.y.0/24 found in 100 tries");
};

// Whether `pid` runs (a zombie does not).
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return false;
  }
};

// SIGTERM, then SIGKILL after 5 s.
const stopPid = async (pid: number, exited: () => boolean = () => !alive(pid)) => {
  try {
    Deno.kill(pid, "SIGTERM");
  } catch {
    return; // gone already
  }
  for (let i = 0; i < 50 && !exited(); i++) await new Promise((r) => setTimeout(r, 100));
  if (exited()) return;
  try {
    Deno.kill(pid, "SIGKILL");
  } catch {
    // gone meanwhile
  }
};

/**
 * Makes `names.length` hosts (hostnames `<name>-<id>`), runs `f` with them, and removes
 * them and every process started in them, whatever `f` does.
 */
export const withHosts = async <A>(
  names: readonly string[],
  f: (hosts: Hosts) => Promise<A>,
): Promise<A> => {
  if (hostsProblem !== undefined) throw new Error(`Cannot make hosts: ${hostsProblem}`);
  if (names.length === 0 || names.length > 200) throw new Error("1 to 200 hosts");
  const id = crypto.randomUUID().slice(0, 6);
  const bridge = `cairn${id}`;
  // The children started and not yet exited: pid → whether it has exited.
  const made: { netns: string[]; links: string[]; pids: Map<number, { exited: boolean }> } = {
    netns: [],
    links: [],
    pids: new Map(),
  };
  try {
    const base = await freeNetwork();
    await ip("link", "add", bridge, "type", "bridge");
    made.links.push(bridge);
    await ip("addr", "add", `${base}.1/24`, "dev", bridge);
    await ip("link", "set", bridge, "up");
    const hosts = await Promise.all(names.map(async (name, i) => {
      const netns = `cairn-${id}-${i}`;
      const outer = `vc${id}${i}`; // at most 15 characters, as the kernel wants
      const inner = `vh${id}${i}`;
      const address = `${base}.${i + 2}`;
      await ip("netns", "add", netns);
      made.netns.push(netns);
      await ip("link", "add", outer, "type", "veth", "peer", "name", inner);
      made.links.push(outer);
      await ip("link", "set", inner, "netns", netns);
      await ip("link", "set", outer, "master", bridge);
      await ip("link", "set", outer, "up");
      const inside = (...args: string[]) => ip("-n", netns, ...args);
      await inside("link", "set", "lo", "up");
      await inside("link", "set", inner, "name", "eth0");
      await inside("addr", "add", `${address}/24`, "dev", "eth0");
      await inside("link", "set", "eth0", "up");
      const hostname = `${name}-${id}`;
      const spawn = (cmd: readonly string[], options: HostCommandOptions = {}) => {
        const child = new Deno.Command("ip", {
          // ip and unshare exec (no fork), and so does the shell: the pid is cmd's.
          args: [
            "netns",
            "exec",
            netns,
            "unshare",
            "--uts",
            "sh",
            "-c",
            'hostname "$0" && exec "$@"',
            hostname,
            ...cmd,
          ],
          clearEnv: true,
          env: options.env ?? { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
          ...(options.cwd ? { cwd: options.cwd } : {}),
          stdin: options.stdin ?? "null",
          stdout: options.stdout ?? "piped",
          stderr: options.stderr ?? "piped",
        }).spawn();
        const state = { exited: false };
        made.pids.set(child.pid, state);
        child.status.then(() => {
          state.exited = true;
          made.pids.delete(child.pid);
        });
        return child;
      };
      const run = async (cmd: readonly string[], options: HostCommandOptions = {}) => {
        const out = await spawn(cmd, { ...options, stdout: "piped", stderr: "piped" }).output();
        return { code: out.code, stdout: td.decode(out.stdout), stderr: td.decode(out.stderr) };
      };
      return { netns, hostname, address, spawn, run } satisfies Host;
    }));
    return await f({ hosts, serviceAddress: `${base}.1`, network: `${base}.0/24` });
  } finally {
    await Promise.all([...made.pids].map(([pid, state]) => stopPid(pid, () => state.exited)));
    // What those started and left in the namespaces (ours alone), by pid too.
    for (const netns of made.netns) {
      const out = await new Deno.Command("ip", { args: ["netns", "pids", netns], stdout: "piped" })
        .output();
      const pids = td.decode(out.stdout).split(/\s+/).filter(Boolean).map(Number);
      await Promise.all(pids.map((pid) => stopPid(pid)));
      await new Deno.Command("ip", { args: ["netns", "del", netns], stderr: "null" }).output();
    }
    for (const link of made.links.reverse()) {
      await new Deno.Command("ip", { args: ["link", "del", link], stderr: "null" }).output();
    }
  }
};

/** Registers `fn` as a test that needs hosts: without them it says why, or under CI=true fails. */
export const hostsTest = (name: string, fn: () => Promise<void>, problem = hostsProblem): void =>
  Deno.test({
    name,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      if (problem !== undefined) {
        if (Deno.env.get("CI") === "true") throw new Error(`this test must run in CI: ${problem}`);
        console.log(`note: test skipped: ${problem}`);
        return;
      }
      await fn();
    },
  });
