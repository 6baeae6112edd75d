// Runners on another host: each host has its own store, and the S3 remote is what they
// share. A runner on host B (store B, `--remote origin`) runs the misses of the
// travel-demand model's extended scenario that a pipeline on host A (store A, the
// same remote, the cluster executor) sends; A reads the replied runs through the
// remote; a replay is all hits on either host. Against a real PostgreSQL and a real
// radosgw (Ceph); every process a host runs is started through its `spawn`, and the
// services are reached at the addresses given, so the same scenario runs with the
// hosts in network namespaces.
import assert from "node:assert/strict";
import * as Effect from "effect/Effect";
import { CACHE_INDEX, decodeCacheValue } from "../../lib/model/cache_entry.ts";
import { decodeRunRecord } from "../../lib/model/run_record.ts";
import { postgresOrSkip } from "./_postgres.ts";
import { type RunnerProcess, type Spawn, spawnHere, startRunner } from "./_runners.ts";
import { inRemote, inStore, ok } from "../remote/_cli.ts";
import { cephProblem, remoteTest, s3Server } from "../remote/_server.ts";
import { startCeph } from "../remote/_ceph.ts";
import { type Host as NetnsHost, hostsProblem, hostsTest, withHosts } from "../_hosts.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const PIPELINE = `${ROOT}tests/cluster/_host_pipeline.ts`;
const MODEL = `${ROOT}examples/travel_demand/pipeline.ts`;
const STEPS = `${ROOT}tests/cluster/_steps.ts`;
const BUCKET = "cairn-hosts";

/** A machine: how a process starts there, and the address others reach it at. */
interface Host {
  readonly name: string;
  readonly address: string;
  readonly spawn: Spawn;
}

/** Where the shared services are, as the hosts reach them. */
interface Services {
  /** The cluster's PostgreSQL database. */
  readonly sql: string;
  /** The S3 endpoint and its keys. */
  readonly s3: {
    readonly endpoint: string;
    readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  };
}

// Both hosts on this machine (the hosts' fixture puts each in a network namespace).
const here = (name: string): Host => ({ name, address: "127.0.0.1", spawn: spawnHere });

interface Invocation {
  readonly step: string;
  readonly iteration: number | null;
  readonly run: string;
  readonly hit: boolean;
}

interface PipelineOutcome {
  readonly pid: number;
  readonly invocations?: readonly Invocation[];
  readonly values?: Record<string, { readonly y: number; readonly pid: number }>;
  readonly error?: string;
  readonly log: readonly string[];
}

const keysOf = (s: Services) => ({
  AWS_ACCESS_KEY_ID: s.s3.credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: s.s3.credentials.secretAccessKey,
});

// The pipeline process on `host`: the model's scenario over `store`, printing its outcome.
const runPipeline = async (
  host: Host,
  services: Services,
  store: string,
  options: {
    readonly remote: boolean;
    readonly cluster: boolean;
    readonly iterations: number;
    readonly program?: "doubling";
  },
): Promise<PipelineOutcome> => {
  const child = host.spawn(Deno.execPath(), [
    "run",
    "--allow-all",
    "--quiet",
    "--config",
    `${ROOT}deno.json`,
    PIPELINE,
    options.program ?? "extended",
    String(options.iterations),
  ], {
    env: {
      CAIRN_PROGRESS: "0",
      CAIRN_STORE: store,
      ...keysOf(services),
      ...(options.remote ? { CAIRN_REMOTE: "origin" } : {}),
      ...(options.cluster ? { CAIRN_TEST_SQL: services.sql } : {}),
    },
    cwd: ROOT,
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      try {
        Deno.kill(child.pid, "SIGKILL");
      } catch { /* gone */ }
      reject(new Error(`the pipeline on ${host.name} did not finish within 240 s`));
    }, 240_000);
  });
  try {
    const out = await Promise.race([child.output(), late]);
    const text = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
    try {
      return JSON.parse(text);
    } catch {
      throw new Error(`the pipeline on ${host.name} exited ${out.code} printing ${text}`);
    }
  } finally {
    clearTimeout(timer);
  }
};

// A store on `host`'s disk with the remote `origin` added.
const storeWithRemote = async (root: string, services: Services, url: string) => {
  await inStore(root, (s) => s.listRefs()); // creates it
  await ok(["remote", "add", "origin", url, "--endpoint", services.s3.endpoint, "--store", root]);
};

const twoStores = async (
  what: string,
  f: (services: Services, a: string, b: string, url: { prefix: string; url: string }) => Promise<
    void
  >,
  // Where the services are: this file's radosgw and a PostgreSQL on 127.0.0.1, unless
  // the hosts' network is given (the services then listen on its root-side address).
  at: { readonly s3: Services["s3"]; readonly address: string; readonly network: string } | {
    readonly s3?: undefined;
  } = {},
) => {
  const pg = await postgresOrSkip(
    `the two-host test "${what}"`,
    at.s3 ? { address: at.address, trust: at.network } : {},
  );
  if (!pg) return;
  const dir = Deno.makeTempDirSync({ prefix: "cairn-hosts-" });
  const services: Services = {
    sql: pg.url,
    s3: at.s3 ?? { endpoint: s3Server().endpoint, credentials: s3Server().credentials },
  };
  const prefix = `hosts/${crypto.randomUUID()}`;
  const url = `s3://${BUCKET}/${prefix}`;
  try {
    await storeWithRemote(`${dir}/a`, services, url);
    await storeWithRemote(`${dir}/b`, services, url);
    await f(services, `${dir}/a`, `${dir}/b`, { prefix, url });
  } finally {
    await pg.stop();
    Deno.removeSync(dir, { recursive: true });
  }
};

const runnerOn = (host: Host, services: Services, store: string, module = MODEL) =>
  startRunner(services.sql, store, keysOf(services), module, {
    spawn: host.spawn,
    host: host.address,
    args: ["--remote", "origin"],
  });

const done = (runner: RunnerProcess) =>
  runner.events.flatMap((e) => (e.event === "done" ? [e.key] : []));

const ITERATIONS = 15;
// init, six steps per iteration, summaries.
const INVOCATIONS = 1 + 6 * ITERATIONS + 1;

const scenarioOnTwoHosts = async (
  services: Services,
  a: Host,
  b: Host,
  storeA: string,
  storeB: string,
  prefix: string,
) => {
  const runner = await runnerOn(b, services, storeB);
  try {
    const first = await runPipeline(a, services, storeA, {
      remote: true,
      cluster: true,
      iterations: ITERATIONS,
    });
    assert.equal(first.error, undefined, `the pipeline on A failed: ${first.error}`);
    const invocations = first.invocations!;
    assert.equal(invocations.length, INVOCATIONS);
    assert.ok(invocations.every((i) => !i.hit), "a fresh store and remote: every step missed");
    // Each miss ran on the runner of host B: its run record was written into store B,
    // under the key the runner said it ran, and came to store A through the remote.
    const keysInB = await inStore(
      storeB,
      (s) =>
        Effect.forEach(
          invocations,
          (i) => Effect.map(s.readRecord(i.run), (r) => decodeRunRecord(r)!.key),
        ),
    );
    const keysInA = await inStore(
      storeA,
      (s) =>
        Effect.forEach(
          invocations,
          (i) => Effect.map(s.readRecord(i.run), (r) => decodeRunRecord(r)!.key),
        ),
    );
    assert.deepEqual(keysInA, keysInB);
    assert.deepEqual(new Set(done(runner)), new Set(keysInB), "the runner ran every miss");
    assert.equal(done(runner).length, INVOCATIONS, "once each");
    // Every run and its cache entry are on the remote.
    const onRemote = await inRemote(
      BUCKET,
      prefix,
      (s) =>
        Effect.forEach(
          keysInB,
          (key) => Effect.map(s.index(CACHE_INDEX).get(key), (v) => v && decodeCacheValue(v)?.run),
        ),
      services.s3,
    );
    assert.deepEqual(onRemote, invocations.map((i) => i.run));

    // A replay on host A through the cluster: all hits, nothing sent to the runner.
    const replayA = await runPipeline(a, services, storeA, {
      remote: true,
      cluster: true,
      iterations: ITERATIONS,
    });
    assert.equal(replayA.error, undefined, `the replay on A failed: ${replayA.error}`);
    assert.ok(replayA.invocations!.every((i) => i.hit), "100% hits on A");
    assert.deepEqual(replayA.invocations!.map((i) => i.run), invocations.map((i) => i.run));
    assert.equal(done(runner).length, INVOCATIONS, "the replay sent the runner nothing");

    // The same program on host B, over the runner's store: all hits there too.
    const replayB = await runPipeline(b, services, storeB, {
      remote: true,
      cluster: false,
      iterations: ITERATIONS,
    });
    assert.equal(replayB.error, undefined, `the replay on B failed: ${replayB.error}`);
    assert.ok(replayB.invocations!.every((i) => i.hit), "100% hits on B");
    assert.deepEqual(replayB.invocations!.map((i) => i.run), invocations.map((i) => i.run));
    return invocations;
  } finally {
    await runner.stop();
  }
};

remoteTest(
  "a runner on another host, with its own store and the shared remote, runs the extended scenario's misses; a replay is all hits on either host",
  () =>
    twoStores(
      "runner on another host",
      async (services, a, b, { prefix }) => {
        await scenarioOnTwoHosts(services, here("a"), here("b"), a, b, prefix);
      },
    ),
);

// A host of the hosts' fixture (a network namespace with its own address and
// hostname): its processes get the whole environment they need, nothing inherited.
const inNamespace = (host: NetnsHost): Host => ({
  name: host.hostname,
  address: host.address,
  spawn: (command, args, options) =>
    host.spawn([command, ...args], {
      env: { ...hostEnv(), ...options.env },
      ...(options.cwd ? { cwd: options.cwd } : {}),
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }),
});

const hostEnv = (): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR", "CI"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
};

hostsTest(
  "in network namespaces: a runner on host B runs the misses host A's pipeline sends, through PostgreSQL and radosgw on the hosts' network; a replay is all hits on either host",
  () =>
    withHosts(["host-a", "host-b"], async ({ hosts: [a, b], serviceAddress, network }) => {
      const ceph = await startCeph({ bind: serviceAddress });
      try {
        await twoStores(
          "runner on another host, in network namespaces",
          async (services, storeA, storeB, { prefix }) => {
            const hostA = inNamespace(a!);
            const hostB = inNamespace(b!);
            const invocations = await scenarioOnTwoHosts(
              services,
              hostA,
              hostB,
              storeA,
              storeB,
              prefix,
            );
            // The runs were made on host B: their records name its hostname.
            const hosts = await inStore(storeA, (s) =>
              Effect.forEach(
                invocations,
                (i) => Effect.map(s.readRecord(i.run), (r) => decodeRunRecord(r)!.host),
              ));
            assert.deepEqual(new Set(hosts), new Set([b!.hostname]), "every run ran on host B");
          },
          { s3: ceph, address: serviceAddress, network },
        );
      } finally {
        await ceph.stop();
      }
    }),
  hostsProblem ?? cephProblem,
);

remoteTest(
  "a pipeline without the remote its runners on another host write to fails at the first miss, saying to give it the remote",
  () =>
    twoStores("pipeline without the remote", async (services, storeA, storeB) => {
      const runner = await runnerOn(here("b"), services, storeB);
      try {
        const outcome = await runPipeline(here("a"), services, storeA, {
          remote: false,
          cluster: true,
          iterations: 1,
        });
        assert.match(
          outcome.error ?? "",
          /runner .* ran it into a store this process cannot read .*remote/,
        );
        assert.equal(done(runner).length, 1, "only the first miss was sent");
      } finally {
        await runner.stop();
      }
    }),
);

remoteTest(
  "a runner on another host reads inputs the pipeline made on its own host: they go to the remote before the message",
  () =>
    twoStores("inputs made by the pipeline", async (services, storeA, storeB) => {
      const runner = await runnerOn(here("b"), services, storeB, STEPS);
      try {
        const outcome = await runPipeline(here("a"), services, storeA, {
          remote: true,
          cluster: true,
          iterations: 1,
          program: "doubling",
        });
        assert.equal(outcome.error, undefined, `the pipeline on A failed: ${outcome.error}`);
        assert.deepEqual(
          outcome.values,
          Object.fromEntries(
            Object.entries({ a: 1, b: 2, c: 3 }).map((
              [k, x],
            ) => [k, { y: 2 * x, pid: runner.pid }]),
          ),
          "each doubled on the runner of host B",
        );
        assert.equal(done(runner).length, 3);
      } finally {
        await runner.stop();
      }
    }),
);
