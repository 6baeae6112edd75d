// Mutation tests for every part of a command's key: each edit re-runs exactly the
// invocations it should (asserted from the scenario record of a real child process),
// `why` (CAIRN_DEBUG=cache) names the part that changed, and what came back is the
// new program's output.
import assert from "node:assert/strict";
import { ALL_HIT, ALL_MISS, MODEL, PATH } from "./_model.ts";
import { withProject } from "../_project.ts";

const env = { PATH };

Deno.test("the model runs: a command's CSV and file outputs come back, its inputs were real files", async () => {
  await withProject(MODEL(), async (p) => {
    const first = await p.run({ env });
    assert.deepEqual(first.steps, ALL_MISS);
    const times = p.output(first, "congestion@1", "times");
    assert.match(times, /^link,time\r?\n1,\d+(\.\d+)?\r?\n2,\d+(\.\d+)?\r?\n$/);
    assert.equal(p.output(first, "congestion@0", "report"), "links=2 alpha=0.15 other=None\n");
    const record = p.runRecord(first, "congestion@0");
    const components = record.components as Record<string, unknown>;
    assert.deepEqual(components.files, {
      network: "in/network.json",
      volumes: "in/volumes.csv",
      times: "out/times.csv",
      report: "out/report",
    });
    assert.deepEqual((components.argv as string[]).slice(0, 6), [
      "python3",
      "py/bpr.py",
      "--volumes",
      "in/volumes.csv",
      "--network",
      "in/network.json",
    ]);
    assert.ok(!JSON.stringify(components).includes(p.dir), "no absolute path in the key");
    const again = await p.run({ env });
    assert.deepEqual(again.steps, ALL_HIT);
  });
});

Deno.test("editing the script re-runs the command only, and why names sources.py/bpr.py", async () => {
  await withProject(MODEL(), async (p) => {
    await p.run({ env });
    p.edit("py/bpr.py", 'f"links={len(volumes)}', 'f"n={len(volumes)}');
    const out = await p.run({ env });
    assert.deepEqual(out.steps, {
      "demand@0": "hit",
      "congestion@0": "miss",
      "demand@1": "hit",
      "congestion@1": "miss",
    });
    assert.match(p.output(out, "congestion@0", "report"), /^n=2 /);
    assert.match(out.stderr, /miss congestion@0 key \w+: sources\.py\/bpr\.py: changed/);
  });
});

Deno.test("editing a helper module of the script re-runs it, and why names the file in the declared directory", async () => {
  await withProject(MODEL(), async (p) => {
    const first = await p.run({ env });
    p.edit("py/lib/helpers.py", "t0 * (1", "2 * t0 * (1");
    const out = await p.run({ env });
    assert.equal(out.steps["congestion@0"], "miss");
    assert.equal(out.steps["demand@0"], "hit");
    assert.match(out.stderr, /miss congestion@0 key \w+: sources\.py\/lib\/helpers\.py: changed/);
    const before = Number(
      p.output(first, "congestion@0", "times").split(/\r?\n/)[1]!.split(",")[1],
    );
    const after = Number(p.output(out, "congestion@0", "times").split(/\r?\n/)[1]!.split(",")[1]);
    assert.equal(after, 2 * before);
  });
});

Deno.test("editing a file no command declares (and Python's byte-code caches) changes nothing", async () => {
  await withProject(MODEL(), async (p) => {
    // On the host, where Python could write py/lib/__pycache__ beside the helper.
    const host = { ...env, CAIRN_SANDBOX: "0" };
    await p.run({ env: host });
    assert.throws(() => Deno.statSync(`${p.dir}/py/lib/__pycache__`), Deno.errors.NotFound);
    p.edit("notes.md", "# notes", "# notes, edited");
    p.write("py/other.py", "print('not a source')\n");
    p.write("py/lib/__pycache__/helpers.cpython-311.pyc", "stale byte code");
    const out = await p.run({ env: host });
    assert.deepEqual(out.steps, ALL_HIT);
  });
});

Deno.test("a declared env var enters the key; an undeclared one never reaches the program", async () => {
  await withProject(MODEL(), async (p) => {
    const first = await p.run({ env: { ...env, BPR_SCALE: "1", OTHER_VAR: "x" } });
    assert.equal(p.output(first, "congestion@0", "report"), "links=2 alpha=0.15 other=None\n");
    const same = await p.run({ env: { ...env, BPR_SCALE: "1", OTHER_VAR: "y" } });
    assert.deepEqual(same.steps, ALL_HIT);
    const out = await p.run({ env: { ...env, BPR_SCALE: "2" } });
    assert.equal(out.steps["congestion@0"], "miss");
    assert.match(out.stderr, /miss congestion@0 key \w+: env\.BPR_SCALE: "1" → "2"/);
    const t1 = p.output(first, "congestion@0", "times").split(/\r?\n/)[1]!.split(",")[1];
    const t2 = p.output(out, "congestion@0", "times").split(/\r?\n/)[1]!.split(",")[1];
    assert.equal(Number(t2), 2 * Number(t1));
  });
});

Deno.test("a changed argument re-runs and why names it; a refactor of argv that renders the same command line is a hit", async () => {
  await withProject(MODEL(), async (p) => {
    await p.run({ env });
    p.edit("pipeline.ts", "config: { alpha: 0.15, beta: 4 }", "config: { alpha: 0.2, beta: 4 }");
    const changed = await p.run({ env });
    assert.equal(changed.steps["congestion@0"], "miss");
    assert.match(
      changed.stderr,
      /miss congestion@0 key \w+: config\.alpha: 0\.15 → 0\.2; argv\[7\]: "0\.15" → "0\.2"/,
    );
    assert.match(p.output(changed, "congestion@0", "report"), /alpha=0\.2 /);
    p.edit("pipeline.ts", '"--alpha", String(config.alpha)', '"--alpha", `${config.alpha}`');
    const refactored = await p.run({ env });
    assert.deepEqual(refactored.steps, ALL_HIT);
    p.edit("pipeline.ts", "outputs.report,", 'outputs.report, "--alpha", "0.3",');
    const extra = await p.run({ env });
    assert.equal(extra.steps["congestion@0"], "miss");
    assert.match(extra.stderr, /miss congestion@0 key \w+: argv: \[/);
  });
});
