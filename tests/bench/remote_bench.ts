// Section "remote": push and pull against a real radosgw on this machine (the remote
// tests' single-node Ceph, started for the section and stopped by pid), beside
// `rclone copy` of the same object files to and from the same server in the same run.
// The store is the CLI tests' demo (`runDemo`: seed, then N iterations of grow and
// smooth; small JSON objects), N = CAIRN_BENCH_REMOTE_N (default 100).
//
// - `cairn push` of the store to an empty prefix, and `cairn pull --all` into an empty
//   store, each a `cairn` process timed whole (start-up included), against `rclone copy`
//   of the store's objects/ directory to another prefix and back (rclone configured by
//   RCLONE_CONFIG_* variables, provider Ceph, `--transfers 8` like cairn's 8 writes at
//   once). Without rclone the peer rows say it was skipped and why.
// - The remote cache: the same program on an empty store with the same remote, every
//   step a remote hit, against the program on the first store (every step a local
//   hit); the difference per step, and what that store downloaded against the total.
// - `cairn gc --remote --dry-run` over the bucket (no peer).
//
// Run alone: `deno run -A tests/bench/remote_bench.ts`.
import * as Effect from "effect/Effect";
import { ObjectStore } from "../../store/object_store.ts";
import { writeRemotes } from "../../store/remotes.ts";
import { CLI, runDemo } from "../cli/_fixture.ts";
import { cephProblem, type S3Server, startCeph } from "../remote/_ceph.ts";
import type { Row, Section, SectionResult } from "./_section.ts";
import { formatCount, hasCommand, positiveInt } from "./_measure.ts";
import { formatTable } from "./_table.ts";

const BUCKET = "cairn-bench";

// An empty store at `root`.
const createStore = (root: string) =>
  Effect.runPromise(
    Effect.gen(function* () {
      yield* (yield* ObjectStore).listRefs();
    }).pipe(Effect.provide(ObjectStore.layer({ root }))),
  );

// The objects/ files of the store at `root`: count and bytes.
const storeObjects = (root: string): { count: number; bytes: number } => {
  let count = 0;
  let bytes = 0;
  for (const fan of Deno.readDirSync(`${root}/objects`)) {
    if (!fan.isDirectory) continue;
    for (const f of Deno.readDirSync(`${root}/objects/${fan.name}`)) {
      count++;
      bytes += Deno.statSync(`${root}/objects/${fan.name}/${f.name}`).size;
    }
  }
  return { count, bytes };
};

const rate = (count: number, bytes: number, ms: number) =>
  `${Math.round(count / (ms / 1000))} objects/s, ${(bytes / 1e6 / (ms / 1000)).toFixed(2)} MB/s`;

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const timed = async (
  cmd: string,
  args: readonly string[],
  env: Record<string, string>,
  clearEnv = false,
): Promise<{ ms: number; stdout: string }> => {
  const t0 = performance.now();
  const out = await new Deno.Command(cmd, {
    args: [...args],
    env,
    clearEnv,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t0;
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")} exited ${out.code}: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return { ms, stdout: new TextDecoder().decode(out.stdout) };
};

const section = async (scratch: string, server: S3Server): Promise<SectionResult> => {
  const n = positiveInt("CAIRN_BENCH_REMOTE_N", 100);
  const rows: Row[] = [];
  const notes: string[] = [];
  const env = {
    NO_COLOR: "1",
    CAIRN_PROGRESS: "0",
    AWS_ACCESS_KEY_ID: server.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey,
  };
  const cairn = (args: readonly string[]) =>
    timed(Deno.execPath(), ["run", "-A", "--no-config", CLI, ...args], env);
  const prefix = `bench/${crypto.randomUUID()}`;
  const url = `s3://${BUCKET}/${prefix}`;
  const addRemote = (root: string) =>
    writeRemotes(root, { origin: { url, endpoint: server.endpoint } });

  const a = `${scratch}/a`;
  const demo = await runDemo(a, { rate: 1.1, n });
  const steps = demo.invocations.length;
  const total = storeObjects(a);
  addRemote(a);
  // The bucket and the store's format file, so the timed push writes objects only.
  await cairn(["push", "nosuch", "--store", a]).catch(() => {});

  const push = await cairn(["push", "--store", a, "--json"]);
  const pushed = JSON.parse(push.stdout);
  const b = `${scratch}/b`;
  await createStore(b);
  addRemote(b);
  const pull = await cairn(["pull", "--all", "--store", b, "--json"]);
  const pulled = JSON.parse(pull.stdout);

  const rcloneProblem = hasCommand("rclone", ["version"])
    ? undefined
    : "rclone is not installed (Debian: apt-get install rclone)";
  let up: number | undefined;
  let down: number | undefined;
  if (rcloneProblem === undefined) {
    const rcloneEnv = {
      RCLONE_CONFIG_CEPH_TYPE: "s3",
      RCLONE_CONFIG_CEPH_PROVIDER: "Ceph",
      RCLONE_CONFIG_CEPH_ENDPOINT: server.endpoint,
      RCLONE_CONFIG_CEPH_ACCESS_KEY_ID: server.credentials.accessKeyId,
      RCLONE_CONFIG_CEPH_SECRET_ACCESS_KEY: server.credentials.secretAccessKey,
      RCLONE_CONFIG_CEPH_ENV_AUTH: "false",
      // Its own environment only: no user config, and no AWS_CA_BUNDLE (which rclone's
      // S3 client refuses with its own HTTP transport), so the server is plain HTTP.
      HOME: scratch,
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    };
    const dest = `ceph:${BUCKET}/rclone-${crypto.randomUUID()}/objects`;
    const flags = ["--transfers", "8", "--checkers", "16"];
    up = (await timed("rclone", ["copy", `${a}/objects`, dest, ...flags], rcloneEnv, true)).ms;
    const back = `${scratch}/rclone-back`;
    down = (await timed("rclone", ["copy", dest, `${back}/objects`, ...flags], rcloneEnv, true))
      .ms;
    const copied = storeObjects(back);
    if (copied.count !== total.count) {
      notes.push(`remote: rclone copied back ${copied.count} files of ${total.count}`);
    }
  } else {
    notes.push(`remote: the rclone rows were skipped: ${rcloneProblem}`);
  }
  rows.push({
    measure: `cairn push, ${formatCount(pushed.objects)} objects (${formatCount(pushed.bytes)} B)`,
    cairn: `${rate(pushed.objects, pushed.bytes, push.ms)} (${seconds(push.ms)})`,
    peer: up === undefined ? "rclone copy: skipped" : "rclone copy, the objects/ files",
    ...(up === undefined ? {} : {
      peerFigure: `${rate(total.count, total.bytes, up)} (${seconds(up)})`,
      ratio: up / push.ms,
    }),
    note: `+ ${pushed.cacheEntries} cache entries, 1 ref`,
  });
  rows.push({
    measure: `cairn pull --all into an empty store`,
    cairn: `${rate(pulled.objects, pulled.bytes, pull.ms)} (${seconds(pull.ms)})`,
    peer: down === undefined ? "rclone copy back: skipped" : "rclone copy back",
    ...(down === undefined ? {} : {
      peerFigure: `${rate(total.count, total.bytes, down)} (${seconds(down)})`,
      ratio: down / pull.ms,
    }),
    note: `+ ${pulled.lineageEntries} lineage and ${pulled.cacheEntries} cache entries`,
  });

  // Remote hits: the program on empty stores with the remote, against local hits.
  const t0 = performance.now();
  const local = await runDemo(a, { rate: 1.1, n });
  const localMs = performance.now() - t0;
  if (!local.invocations.every((i) => i.hit)) notes.push("remote: the local re-run missed");
  Deno.env.set("AWS_ACCESS_KEY_ID", server.credentials.accessKeyId);
  Deno.env.set("AWS_SECRET_ACCESS_KEY", server.credentials.secretAccessKey);
  const remoteRun = async (root: string) => {
    await createStore(root);
    addRemote(root);
    const t = performance.now();
    const ran = await runDemo(root, { rate: 1.1, n, remote: "origin", log: () => {} });
    const ms = performance.now() - t;
    if (!ran.invocations.every((i) => i.hit)) notes.push(`remote: a step on ${root} missed`);
    return ms;
  };
  const first = await remoteRun(`${scratch}/c1`);
  const second = await remoteRun(`${scratch}/c2`);
  const got = storeObjects(`${scratch}/c2`);
  rows.push({
    measure: `remote hit over a local hit, per step (${steps} steps)`,
    cairn: `${((second - localMs) / steps).toFixed(1)} ms`,
    peer: "local hits, the whole run",
    peerFigure: seconds(localMs),
    note: `remote run ${seconds(second)}; the first in the process ${
      seconds(first)
    } (SDK load included)`,
  });
  rows.push({
    measure: "held by the all-hit store afterwards",
    cairn: `${formatCount(got.count)} objects, ${formatCount(got.bytes)} B`,
    peer: "the store's total",
    peerFigure: `${formatCount(total.count)} objects, ${formatCount(total.bytes)} B`,
    note: `${
      (100 * got.bytes / total.bytes).toFixed(1)
    }% of the bytes: the run records it adopted, its own scenario record and input file`,
  });

  const gc = await cairn(["gc", "--remote", "origin", "--dry-run", "--store", a, "--json"]);
  const report = JSON.parse(gc.stdout);
  rows.push({
    measure: `gc --remote --dry-run (${formatCount(report.reachable)} reachable objects)`,
    cairn: seconds(gc.ms),
    note: "lists the bucket twice, reads every record and tree",
  });
  return {
    title: `remote (radosgw on this machine; the demo, ${n} iterations)`,
    rows,
    notes,
  };
};

/** The remote section over scratch directory `scratch`. */
export const runRemoteSection = async (scratch: string): Promise<SectionResult> => {
  const title = "remote";
  if (cephProblem !== undefined) {
    return { title, rows: [], notes: [`remote: skipped: ${cephProblem}`] };
  }
  const dir = `${scratch}/remote`;
  Deno.mkdirSync(dir, { recursive: true });
  const started = await startCeph();
  try {
    return await section(dir, started);
  } finally {
    await started.stop();
  }
};

export const remoteSection: Section = {
  name: "remote",
  run: (bench) => runRemoteSection(bench.scratch),
};

if (import.meta.main) {
  const scratch = Deno.makeTempDirSync({ prefix: "cairn-remote-bench-" });
  try {
    const result = await runRemoteSection(scratch);
    console.log(formatTable([result], Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR")));
    for (const note of result.notes) console.log(`note: ${note}`);
  } finally {
    Deno.removeSync(scratch, { recursive: true });
  }
}
