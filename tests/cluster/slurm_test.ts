// Runners started by Slurm: `examples/slurm/runners.sbatch` as a job array of two on a
// throw-away single-node Slurm, a sweep run through them, then the job cancelled —
// which drains the runners (each says it stopped).
import assert from "node:assert/strict";
import { Effect } from "effect";
import { input, Pipeline, sweep } from "../../mod.ts";
import { cluster } from "../../lib/pipeline/cluster/mod.ts";
import { postgresOrSkip } from "./_postgres.ts";
import { slurmOrSkip } from "./_slurm.ts";
import { double } from "./_steps.ts";

Deno.env.set("CAIRN_PROGRESS", "0");

const ROOT = new URL("../../", import.meta.url).pathname;
const SCRIPT = `${ROOT}examples/slurm/runners.sbatch`;

// Two consecutive free loopback ports (the job's tasks listen on base and base + 1).
const freePair = (): number => {
  for (;;) {
    const base = 40_000 + Math.floor(Math.random() * 20_000);
    try {
      const a = Deno.listen({ hostname: "127.0.0.1", port: base });
      const b = Deno.listen({ hostname: "127.0.0.1", port: base + 1 });
      a.close();
      b.close();
      return base;
    } catch { /* taken: another pair */ }
  }
};

// The JSON events of a runner's job output (its other lines skipped).
const eventsIn = (file: string): { event: string; pid?: number }[] => {
  let text = "";
  try {
    text = Deno.readTextFileSync(file);
  } catch { /* not written yet */ }
  return text.split("\n").flatMap((line) => {
    try {
      const e = JSON.parse(line);
      return typeof e?.event === "string" ? [e] : [];
    } catch {
      return [];
    }
  });
};

const until = async (what: string, ms: number, done: () => boolean | Promise<boolean>) => {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

Deno.test("runners started by sbatch as a job array run a sweep's misses; scancel drains them", async () => {
  const pg = await postgresOrSkip("the Slurm test");
  if (!pg) return;
  const slurm = await slurmOrSkip("the Slurm test");
  if (!slurm) return await pg.stop();
  const dir = Deno.makeTempDirSync({ prefix: "cairn-slurm-job-" });
  let job: string | undefined;
  try {
    const store = `${dir}/store`;
    const out = await new Deno.Command("sbatch", {
      args: ["--parsable", "--array=0-1", `--output=${dir}/runner-%a.log`, SCRIPT],
      cwd: dir,
      env: {
        ...slurm.env,
        CAIRN_SQL: pg.url,
        CAIRN_STORE: store,
        CAIRN_MODULES: `${ROOT}tests/cluster/_steps.ts`,
        CAIRN_RUNNER_HOST: "127.0.0.1",
        CAIRN_RUNNER_PORT: String(freePair()),
        CAIRN_DRAIN: "10",
        CAIRN: `${Deno.execPath()} run -A --no-config ${ROOT}cli/launch.ts`,
        CAIRN_PROGRESS: "0",
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    job = new TextDecoder().decode(out.stdout).trim().split(";")[0]!;
    const logs = [`${dir}/runner-0.log`, `${dir}/runner-1.log`];
    const ready = () => logs.map((f) => eventsIn(f).find((e) => e.event === "ready")?.pid);
    await until("both runners ready", 90_000, () => ready().every((p) => p !== undefined));
    const pids = ready() as number[];
    assert.notEqual(pids[0], pids[1], "two runner processes");

    const values = { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 };
    const results = await Effect.runPromise(
      sweep("slurm", values, (x) =>
        Effect.gen(function* () {
          const d = yield* double({ x: yield* input.value(x) });
          const { store } = yield* Pipeline;
          const read = (id: string) =>
            Effect.map(store.readBlob(id), (b) => JSON.parse(new TextDecoder().decode(b)));
          return { y: yield* read(d.y.id), pid: yield* read(d.pid.id) };
        })).pipe(
          Effect.provide(Pipeline.layerDisk({ root: store, executor: cluster({ sql: pg.url }) })),
        ),
    );
    for (const [label, x] of Object.entries(values)) {
      const got = results[label as keyof typeof values]!;
      assert.equal(got.y, 2 * x);
      assert.ok(pids.includes(got.pid), `${label} ran in a Slurm runner (pid ${got.pid})`);
    }

    await slurm.client("scancel", [job]);
    await until(
      "the job to end",
      60_000,
      async () => (await slurm.client("squeue", ["-h", "-j", job!])).trim() === "",
    );
    job = undefined;
    for (const log of logs) {
      const events = eventsIn(log).map((e) => e.event);
      assert.ok(events.includes("draining") && events.includes("stopped"), `${log}: ${events}`);
    }
  } finally {
    if (job) await slurm.client("scancel", [job]).catch(() => "");
    await slurm.stop();
    await pg.stop();
    Deno.removeSync(dir, { recursive: true });
  }
});
