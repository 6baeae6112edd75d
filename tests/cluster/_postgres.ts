// A throw-away PostgreSQL server for the cluster tests: `initdb` into a temp dir, then
// `postgres` on a free loopback port with trust auth, stopped by its pid. Debian's
// binaries live in /usr/lib/postgresql/<version>/bin (not on PATH); the server refuses
// to run as root, so as root it runs as the `postgres` user through `setpriv`, which
// execs (the pid we hold is the server's own, not a wrapper's).
//
// Where PostgreSQL is missing the suites that need it are skipped with the reason
// printed — except under CI=true, where that is a failure: CI must not pass by
// skipping (.ci/run installs the package).

/** A running server. */
export interface Postgres {
  /** `postgres://postgres@<address>:<port>/postgres` */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Stops the server (SIGINT: fast shutdown) and removes its directory. */
  readonly stop: () => Promise<void>;
  /** Stops the server and starts it again on the same data and port (a restart mid-run). */
  readonly restart: () => Promise<void>;
}

const decoder = new TextDecoder();

// The directory of Debian's newest PostgreSQL binaries, or why there is none.
const binaries = (): string => {
  try {
    const versions = [...Deno.readDirSync("/usr/lib/postgresql")]
      .map((e) => e.name).filter((n) => /^\d+$/.test(n)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const bin = `/usr/lib/postgresql/${v}/bin`;
      try {
        Deno.statSync(`${bin}/initdb`);
        return bin;
      } catch { /* next */ }
    }
  } catch { /* none */ }
  throw new Error("PostgreSQL is not installed (Debian: apt-get install postgresql)");
};

const freePort = (): number => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
};

const isRoot = () => Deno.uid() === 0;

// argv prefix that runs a command as the postgres user when we are root.
const asPostgres = (): string[] =>
  isRoot() ? ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] : [];

const run = async (argv: string[]): Promise<void> => {
  const out = await new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`${argv.join(" ")} failed: ${decoder.decode(out.stderr).trim()}`);
  }
};

/** Where a server listens, and whom it trusts besides this host. */
export interface PostgresPlace {
  /** The address it listens on (default 127.0.0.1). */
  readonly address?: string;
  /** A network (CIDR) whose clients it trusts too, e.g. test hosts' (default: none). */
  readonly trust?: string;
}

/** Starts a server; throws saying why it cannot. */
export const startPostgres = async (place: PostgresPlace = {}): Promise<Postgres> => {
  const address = place.address ?? "127.0.0.1";
  const bin = binaries();
  const dir = Deno.makeTempDirSync({ prefix: "cairn-pg-" });
  const data = `${dir}/data`;
  if (isRoot()) await run(["chown", "postgres:postgres", dir]);
  await run([
    ...asPostgres(),
    `${bin}/initdb`,
    "-D",
    data,
    "-A",
    "trust",
    "-U",
    "postgres",
    "--no-sync",
  ]);
  if (place.trust) {
    Deno.writeTextFileSync(`${data}/pg_hba.conf`, `host all all ${place.trust} trust\n`, {
      append: true,
    });
  }
  const port = freePort();
  const argv = [
    ...asPostgres(),
    `${bin}/postgres`,
    "-D",
    data,
    "-p",
    String(port),
    "-k",
    dir,
    "-c",
    `listen_addresses=${address}`,
    "-c",
    "fsync=off",
    "-c",
    "max_connections=200",
  ];
  let child: Deno.ChildProcess;
  let exited = false;
  let status: Promise<Deno.CommandStatus>;
  // Its log, the last 8 KiB kept for the message when it does not start.
  let logTail = "";
  const spawn = () => {
    child = new Deno.Command(argv[0]!, {
      args: argv.slice(1),
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    exited = false;
    const mine = child;
    void (async () => {
      for await (const chunk of mine.stderr) {
        logTail = (logTail + decoder.decode(chunk)).slice(-8192);
      }
    })().catch(() => {});
    status = child.status.then((s) => {
      exited = true;
      return s;
    });
  };
  const halt = async () => {
    if (exited) return;
    try {
      Deno.kill(child.pid, "SIGINT");
    } catch { /* gone */ }
    const timer = setTimeout(() => {
      try {
        Deno.kill(child.pid, "SIGKILL");
      } catch { /* gone */ }
    }, 10_000);
    await status;
    clearTimeout(timer);
  };
  const stop = async () => {
    await halt();
    Deno.removeSync(dir, { recursive: true });
  };
  // Ready when pg_isready says so (within 30 s).
  const ready = async () => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exited) {
        await stop();
        throw new Error(`postgres exited at start: ${logTail.trim()}`);
      }
      const ok = await new Deno.Command(`${bin}/pg_isready`, {
        args: ["-h", address, "-p", String(port), "-q"],
      }).output();
      if (ok.success) return;
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`postgres did not accept connections on port ${port} within 30 s`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  spawn();
  await ready();
  const restart = async () => {
    await halt();
    spawn();
    await ready();
  };
  return {
    url: `postgres://postgres@${address}:${port}/postgres`,
    port,
    get pid() {
      return child.pid;
    },
    stop,
    restart,
  };
};

/** A server, or undefined after printing why the suite is skipped (a failure under CI). */
export const postgresOrSkip = async (
  what: string,
  place: PostgresPlace = {},
): Promise<Postgres | undefined> => {
  try {
    return await startPostgres(place);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    if (Deno.env.get("CI") === "true") throw new Error(`Cannot run ${what} under CI: ${reason}`);
    console.log(`skipped ${what}: ${reason}`);
    return undefined;
  }
};

/**
 * Runs `f` with a PostgreSQL server, a store path and a directory of its own (all
 * removed after it); skips, saying why, where PostgreSQL cannot start (fails under CI).
 */
export const withCluster = async (
  what: string,
  f: (sql: string, store: string, dir: string) => Promise<void>,
  prefix = "cairn-cluster-",
): Promise<void> => {
  const pg = await postgresOrSkip(`the cluster test "${what}"`);
  if (!pg) return;
  const dir = Deno.makeTempDirSync({ prefix });
  try {
    await f(pg.url, `${dir}/store`, dir);
  } finally {
    await pg.stop();
    Deno.removeSync(dir, { recursive: true });
  }
};
