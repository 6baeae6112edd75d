// A throw-away single-node Slurm for the cluster tests: munged (as the munge user, its
// socket in the fixture's directory), slurmctld and slurmd (as root, in the foreground,
// on free loopback ports), configured as measured in the shared services notes; every
// daemon is stopped by its pid. Clients (sbatch, squeue, scancel) need `env` (its
// SLURM_CONF).
//
// Where Slurm or munge is missing the suites that need it are skipped with the reason
// printed — except under CI=true, where that is a failure (.ci/run installs them).

/** A running Slurm. */
export interface Slurm {
  /** The environment its clients need (SLURM_CONF). */
  readonly env: Record<string, string>;
  /** Its directory (state, logs; job output may go here too). */
  readonly dir: string;
  /** Runs a client command; its stdout, or a thrown error with its stderr. */
  readonly client: (command: string, args: readonly string[]) => Promise<string>;
  /** Stops slurmd, slurmctld and munged (SIGTERM, then SIGKILL) and removes the directory. */
  readonly stop: () => Promise<void>;
}

const decoder = new TextDecoder();

const freePort = (): number => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
};

const found = (command: string): boolean => {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":").concat(["/usr/sbin", "/sbin"])) {
    try {
      Deno.statSync(`${dir}/${command}`);
      return true;
    } catch { /* next */ }
  }
  return false;
};

const run = async (argv: readonly string[], env?: Record<string, string>): Promise<string> => {
  const out = await new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    stdout: "piped",
    stderr: "piped",
    ...(env ? { env } : {}),
  }).output();
  if (!out.success) {
    throw new Error(`${argv.join(" ")} failed: ${decoder.decode(out.stderr).trim()}`);
  }
  return decoder.decode(out.stdout);
};

interface Daemon {
  readonly child: Deno.ChildProcess;
  readonly log: () => string;
}

const daemon = (argv: readonly string[]): Daemon => {
  const child = new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let tail = "";
  for (const stream of [child.stdout, child.stderr]) {
    void (async () => {
      for await (const chunk of stream) tail = (tail + decoder.decode(chunk)).slice(-8192);
    })().catch(() => {});
  }
  return { child, log: () => tail };
};

const stopDaemon = async (d: Daemon): Promise<void> => {
  try {
    d.child.kill("SIGTERM");
  } catch { /* gone */ }
  const timer = setTimeout(() => {
    try {
      d.child.kill("SIGKILL");
    } catch { /* gone */ }
  }, 10_000);
  await d.child.status;
  clearTimeout(timer);
};

const config = (dir: string, ctld: number, slurmd: number) =>
  `ClusterName=cairn
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=${ctld}
SlurmdPort=${slurmd}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=${dir}/munge/munge.socket.2
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
CommunicationParameters=NoInAddrAny,NoCtldInAddrAny
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
ReturnToService=2
StateSaveLocation=${dir}/state
SlurmdSpoolDir=${dir}/spool
SlurmctldPidFile=${dir}/slurmctld.pid
SlurmdPidFile=${dir}/slurmd.pid
SlurmctldLogFile=${dir}/slurmctld.log
SlurmdLogFile=${dir}/slurmd.log
KillWait=30
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
`;

/** Starts Slurm; throws saying why it cannot. */
export const startSlurm = async (): Promise<Slurm> => {
  for (const command of ["munged", "slurmctld", "slurmd", "sbatch"]) {
    if (!found(command)) {
      throw new Error(`${command} is not installed (Debian: apt-get install slurm-wlm munge)`);
    }
  }
  const dir = Deno.makeTempDirSync({ prefix: "cairn-slurm-" });
  Deno.chmodSync(dir, 0o755);
  for (const sub of ["munge", "state", "spool"]) Deno.mkdirSync(`${dir}/${sub}`, { mode: 0o755 });
  await run(["chown", "munge:munge", `${dir}/munge`]);
  const conf = `${dir}/slurm.conf`;
  Deno.writeTextFileSync(conf, config(dir, freePort(), freePort()));
  const env = { SLURM_CONF: conf };
  const daemons: Daemon[] = [];
  const stop = async () => {
    for (const d of daemons.reverse()) await stopDaemon(d);
    Deno.removeSync(dir, { recursive: true });
  };
  const waitFor = async (what: string, ready: () => Promise<boolean>, d: Daemon) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (await ready().catch(() => false)) return;
      const status = await Promise.race([
        d.child.status,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 100)),
      ]);
      if (status !== undefined || Date.now() > deadline) {
        const log = d.log().trim();
        await stop();
        throw new Error(`${what} did not start: ${log || "(nothing logged)"}`);
      }
    }
  };
  const munge = daemon([
    "setpriv",
    "--reuid=munge",
    "--regid=munge",
    "--init-groups",
    "--",
    "munged",
    "--foreground",
    "--force",
    `--socket=${dir}/munge/munge.socket.2`,
    `--pid-file=${dir}/munge/munged.pid`,
    `--log-file=${dir}/munge/munged.log`,
    `--seed-file=${dir}/munge/munged.seed`,
  ]);
  daemons.push(munge);
  await waitFor(
    "munged",
    () => Promise.resolve(existsSocket(`${dir}/munge/munge.socket.2`)),
    munge,
  );
  const ctld = daemon(["slurmctld", "-D", "-i", "-f", conf]);
  daemons.push(ctld);
  await waitFor(
    "slurmctld",
    () => run(["scontrol", "ping"], env).then((o) => o.includes("UP")),
    ctld,
  );
  const slurmd = daemon(["slurmd", "-D", "-N", "localhost", "-f", conf]);
  daemons.push(slurmd);
  await waitFor(
    "slurmd",
    () => run(["sinfo", "-h", "-o", "%t"], env).then((o) => /idle|mix|alloc/.test(o)),
    slurmd,
  );
  return { env, dir, client: (command, args) => run([command, ...args], env), stop };
};

const existsSocket = (path: string): boolean => {
  try {
    return Deno.statSync(path).isSocket === true;
  } catch {
    return false;
  }
};

/** Slurm, or undefined after printing why the suite is skipped (a failure under CI). */
export const slurmOrSkip = async (what: string): Promise<Slurm | undefined> => {
  try {
    return await startSlurm();
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    if (Deno.env.get("CI") === "true") throw new Error(`Cannot run ${what} under CI: ${reason}`);
    console.log(`skipped ${what}: ${reason}`);
    return undefined;
  }
};
