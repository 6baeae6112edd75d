// Progress: on a terminal one line rewritten in place — a scenario's iteration, step,
// hits and misses, every scenario's iteration while several run, and what the
// executor does (each busy worker's step, how many wait); otherwise plain lines.
import assert from "node:assert/strict";
import { makeProgress } from "../../../lib/pipeline/progress.ts";
import { withProject } from "./_project.ts";

const terminal = (status?: () => string | undefined, columns = 200) => {
  const out: string[] = [];
  const progress = makeProgress({
    write: (t) => out.push(t),
    live: true,
    quiet: false,
    columns: () => columns,
    ...(status ? { status } : {}),
  });
  // What the terminal shows last: the text after the last line rewrite.
  const shown = () => {
    const text = out.join("");
    const last = text.lastIndexOf("\r\x1b[2K");
    return last < 0 ? text : text.slice(last + 5);
  };
  return { progress, out, shown };
};

Deno.test("on a terminal, one scenario's line shows its iteration, step, hits and misses", () => {
  const { progress, shown } = terminal();
  progress.stepStarted("base", "assign", 0);
  progress.stepFinished("base", "assign", 0, false, 5);
  progress.iterationFinished("base", 0, 8);
  progress.stepStarted("base", "skim", 1);
  assert.equal(shown(), "[base] iteration 1/8  skim  hits 0  misses 1");
  progress.stepFinished("base", "skim", 1, true, 1);
  assert.equal(shown(), "[base] iteration 1/8  skim  hits 1  misses 1");
});

Deno.test("while several scenarios run, the line shows each one's iteration and the counts of all", () => {
  const { progress, shown } = terminal();
  progress.stepStarted("sweep/a", "grow", 2);
  progress.stepFinished("sweep/a", "grow", 2, false, 5);
  progress.stepStarted("sweep/b", "grow", 5);
  progress.stepFinished("sweep/b", "grow", 5, true, 5);
  assert.equal(shown(), "[cairn] 2 scenarios: sweep/a 2, sweep/b 5  hits 1  misses 1");
  progress.scenarioFinished("sweep/a", "ok", 0, 1, 1000);
  assert.equal(shown(), "[sweep/b] iteration 5  grow  hits 1  misses 0");
});

Deno.test("the executor's status follows the line; a long line is cut to the terminal's width", () => {
  let status: string | undefined = "workers 2/2: grow@3 grow@4, 5 queued";
  const { progress, shown } = terminal(() => status, 60);
  progress.stepStarted("base", "grow", 4);
  assert.equal(shown().length, 59);
  assert.ok(shown().endsWith("…"));
  assert.ok(shown().startsWith("[base] iteration 4  grow  hits 0  misses 0  · workers 2/2"));
  status = undefined;
  progress.stepFinished("base", "grow", 4, false, 1);
  assert.equal(shown(), "[base] iteration 4  grow  hits 0  misses 1");
});

Deno.test("piped, each finished iteration is a line with the executor's status; a log line is plain", () => {
  const out: string[] = [];
  const progress = makeProgress({
    write: (t) => out.push(t),
    live: false,
    quiet: false,
    status: () => "workers 1/2: grow@0",
  });
  progress.stepStarted("base", "grow", 0);
  progress.stepFinished("base", "grow", 0, false, 5);
  progress.iterationFinished("base", 0, 3);
  progress.log("[cairn] a note");
  progress.scenarioFinished("base", "ok", 0, 1, 1500);
  assert.deepEqual(out, [
    "[base] iteration 0/3 done (so far 0 hits, 1 misses) · workers 1/2: grow@0\n",
    "[cairn] a note\n",
    "[base] ok: 0 hits, 1 misses, 1.50 s\n",
  ]);
});

// A sweep of two scenarios whose steps take a second each, with two workers, on a
// pseudo-terminal (script(1), bsdutils): the line shows both workers' steps.
const SWEEP = {
  "steps.ts": `import { Json, step } from "cairn";
export const slow = step({
  name: "slow",
  inputs: { n: Json },
  outputs: { y: Json },
  run: async ({ n }) => {
    await new Promise((r) => setTimeout(r, 1500));
    return { y: n };
  },
});
`,
  "pipeline.ts": `import { Effect } from "effect";
import { input, run, sweep } from "cairn";
import { slow } from "./steps.ts";

if (import.meta.main) {
  await run(sweep("pair", { a: 1, b: 2 }, (n) =>
    Effect.flatMap(input.value(n), (v) => slow({ n: v }))));
}
`,
};

Deno.test("on a terminal with workers, the line shows what each busy worker runs", async () => {
  await withProject(SWEEP, async (p) => {
    const tty = await new Deno.Command("script", {
      args: ["-qec", `${Deno.execPath()} run -A pipeline.ts`, "/dev/null"],
      cwd: p.dir,
      // CAIRN_PROGRESS set: another test module of this process may have silenced it.
      env: { CAIRN_STORE: p.store, CAIRN_WORKERS: "2", CAIRN_PROGRESS: "1", TERM: "dumb" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(tty.stdout);
    assert.equal(tty.code, 0, text);
    const frames = text.split("\r\x1b[2K");
    assert.ok(
      frames.some((f) => /· workers 2\/2: slow slow/.test(f)),
      `no frame shows both workers busy:\n${JSON.stringify(frames.slice(0, 40))}`,
    );
    assert.match(text, /\[pair\/a\] ok: 0 hits, 1 misses/);
    assert.match(text, /\[pair\/b\] ok: 0 hits, 1 misses/);
  });
});
