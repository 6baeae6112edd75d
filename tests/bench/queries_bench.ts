// Section "queries": what a query costs on stores of the non-converging bench chain
// (1,000 and 10,000 iterations × 6 steps by default; `CAIRN_BENCH_QUERY_ITERS`, a
// comma-separated list, sets others — a soak at 100,000 is `100000`), every query a
// `cairn` process through the launcher the tasks use, best of 3, with its peak
// resident size. The query index is built by the first query (timed apart). gc and
// fsck are timed once on a store whose object facts are not yet known (the pass that
// learns them) and then best of 2. The catch-up is timed twice, each as the first
// query after the store moved on minus the same query right after it: 1,003 new runs
// in a scenario of their own, then 1,002 new runs as the big scenario run again with
// 167 more iterations (its new record lists every one of its 60,000+ invocations). The
// peer is git on a history of as many commits as the store has runs, measured in the
// same run: `git log -n 10`, `git prune --dry-run`, `git fsck --connectivity-only`.
//
// `CAIRN_BENCH_BASELINE=<checkout>` also times another cairn checkout's launcher on the
// same stores (impact, full lineage, gc, fsck), interleaved with this one's: the
// before and after of a change, in one run.
//
// Run alone: `deno run -A tests/bench/queries_bench.ts`.
import { fromFileUrl } from "../../lib/identity/paths.ts";
import { runChain } from "./chain_bench.ts";
import type { Row, Section, SectionResult } from "./_section.ts";
import { hasCommand, runPeer } from "./_measure.ts";
import { formatTable } from "./_table.ts";

const LAUNCHER = fromFileUrl(new URL("../../cli/launch.ts", import.meta.url).href);
const TIME = "/usr/bin/time";

interface Measured {
  readonly ms: number;
  /** Peak resident size in MB, when /usr/bin/time is there to tell. */
  readonly mb: number | undefined;
  readonly lines: number;
}

const BASELINE = Deno.env.get("CAIRN_BENCH_BASELINE");

const once = async (args: string[], launcher = LAUNCHER): Promise<Measured> => {
  const withTime = hasCommand(TIME, ["-f", "%M", "true"]);
  const cmd = withTime ? TIME : Deno.execPath();
  const all = [...(withTime ? ["-f", "rss %M", Deno.execPath()] : []), "run", "-A", "--no-config"];
  const start = performance.now();
  const out = await new Deno.Command(cmd, {
    args: [...all, launcher, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { CAIRN_PROGRESS: "0" },
  }).output();
  const ms = performance.now() - start;
  const stderr = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`cairn ${args.join(" ")} failed: ${stderr}`);
  const kb = Number(/rss (\d+)/.exec(stderr)?.[1]);
  const stdout = new TextDecoder().decode(out.stdout);
  return {
    ms,
    mb: Number.isFinite(kb) ? kb / 1024 : undefined,
    lines: stdout.split("\n").length - 1,
  };
};

const best = async (args: string[], runs = 3, launcher = LAUNCHER): Promise<Measured> => {
  let min: Measured | undefined;
  for (let i = 0; i < runs; i++) {
    const m = await once(args, launcher);
    if (!min || m.ms < min.ms) min = m;
  }
  return min!;
};

// The first query after the store moved on, and the same query right after it (the
// index caught up): the difference is what catching up cost.
const catchUp = async (store: string[]) => {
  const first = await once(["runs", "--limit", "10", ...store]);
  const next = await best(["runs", "--limit", "10", ...store], 2);
  return { first, next, ms: first.ms - next.ms };
};

// A git history of `commits` commits, one small file changed in each (fast-import).
const gitHistory = async (dir: string, commits: number): Promise<void> => {
  await runPeer("git", ["init", "-q", "-b", "main", dir]);
  const parts: string[] = [];
  for (let i = 0; i < commits; i++) {
    const data = `state ${i}\n`;
    parts.push(
      `commit refs/heads/main\nmark :${i + 1}\ncommitter b <b@x> ${1700000000 + i} +0000\n` +
        `data 4\nstep\n${
          i > 0 ? `from :${i}\n` : ""
        }M 100644 inline state.json\ndata ${data.length}\n${data}\n`,
    );
  }
  await runPeer("git", ["fast-import", "--quiet"], { cwd: dir, stdin: parts.join("") });
};

const ms = (m: Measured | number) => `${(typeof m === "number" ? m : m.ms).toFixed(0)} ms`;
const rss = (m: Measured) => (m.mb === undefined ? "" : `, ${m.mb.toFixed(0)} MB`);

const measureStore = async (scratch: string, iters: number, git: boolean) => {
  const root = `${scratch}/queries-${iters}`;
  const built = await runChain(root, iters);
  const store = ["--store", root];
  await once(["--version"]); // builds the bundle once, untimed
  if (BASELINE) await once(["--version"], `${BASELINE}/cli/launch.ts`);
  const build = await once(["runs", "--limit", "1", ...store]);
  const runs = await best(["runs", "--limit", "10", ...store]);
  const lineage4 = await best(["lineage", built.last.id, "--depth", "4", ...store]);
  const seedArtifact = await firstArtifact(root);
  const impact = await best(["impact", seedArtifact, ...store]);
  const full = await best(["lineage", built.last.id, ...store], 2);
  const gcFirst = await once(["gc", "--dry-run", ...store]);
  const gc = await best(["gc", "--dry-run", ...store], 2);
  const fsck = await best(["fsck", "--quick", ...store], 2);
  // The same queries by the baseline's launcher, one after the other, on a copy of the
  // store (untimed): a baseline of another index schema rebuilds the index it opens,
  // which would make this checkout's next query — the catch-up below — a rebuild too.
  let baseline: { impact: Measured; full: Measured; gc: Measured; fsck: Measured } | undefined;
  if (BASELINE) {
    const other = `${BASELINE}/cli/launch.ts`;
    const copy = `${root}-baseline`;
    await runPeer("cp", ["-a", root, copy]);
    const there = ["--store", copy];
    baseline = {
      impact: await best(["impact", seedArtifact, ...there], 2, other),
      full: await best(["lineage", built.last.id, ...there], 2, other),
      gc: await best(["gc", "--dry-run", ...there], 2, other),
      fsck: await best(["fsck", "--quick", ...there], 2, other),
    };
    await Deno.remove(copy, { recursive: true });
  }
  // 1,003 new runs in a scenario of their own, then 1,002 more in the big scenario.
  await runChain(root, 167, true);
  const newScenario = await catchUp(store);
  await runChain(root, iters + 167);
  const extended = await catchUp(store);
  let peer: { log: number; prune: number; fsck: number } | undefined;
  if (git) {
    const dir = `${scratch}/git-${iters}`;
    await gitHistory(dir, iters * 6 + 1);
    const time = async (args: string[]) => {
      let min = Infinity;
      for (let i = 0; i < 3; i++) {
        min = Math.min(min, (await runPeer("git", args, { cwd: dir })).ms);
      }
      return min;
    };
    peer = {
      log: await time(["log", "-n", "10"]),
      prune: await time(["prune", "--dry-run"]),
      fsck: await time(["fsck", "--connectivity-only"]),
    };
  }
  return {
    iters,
    runs: iters * 6 + 1,
    build,
    runsQ: runs,
    lineage4,
    impact,
    full,
    gcFirst,
    gc,
    fsck,
    baseline,
    newScenario,
    extended,
    peer,
  };
};

// The seed's output: the earliest artifact of the chain, which every run is downstream of.
const firstArtifact = async (root: string): Promise<string> => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--no-config",
      LAUNCHER,
      "sql",
      "SELECT artifacts.id AS id FROM artifacts JOIN runs ON runs.id = artifacts.producer WHERE runs.step = 'chain.seed'",
      "--json",
      "--store",
      root,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return (JSON.parse(new TextDecoder().decode(out.stdout)) as { id: string }[])[0]!.id;
};

const run = async (scratch: string, git: boolean): Promise<SectionResult> => {
  Deno.env.set("CAIRN_PROGRESS", "0");
  const sizes = (Deno.env.get("CAIRN_BENCH_QUERY_ITERS") ?? "1000,10000").split(",").map(Number);
  const results = [];
  for (const iters of sizes) results.push(await measureStore(scratch, iters, git));
  const small = results[0]!;
  const rows: Row[] = [];
  const notes: string[] = [];
  if (!git) notes.push("git not found: the peer rows are skipped");
  for (const r of results) {
    const n = `${r.runs.toLocaleString("en-US")} runs`;
    rows.push(
      { measure: `index build, first query (${n})`, cairn: ms(r.build), note: "once per store" },
      {
        measure: `runs --limit 10 (${n})`,
        cairn: ms(r.runsQ) + rss(r.runsQ),
        ...(r.peer
          ? { peer: "git log -n 10", peerFigure: ms(r.peer.log), ratio: r.peer.log / r.runsQ.ms }
          : {}),
        target: "≤ 150 ms",
        pass: r.runsQ.ms <= 150,
      },
      {
        measure: `lineage --depth 4 (${n})`,
        cairn: ms(r.lineage4) + rss(r.lineage4),
        target: "≤ 150 ms",
        pass: r.lineage4.ms <= 150,
      },
      {
        measure: `impact of the seed (${n})`,
        cairn: ms(r.impact) + rss(r.impact),
        target: "≤ 500 ms",
        pass: r.impact.ms <= 500,
        note: `${r.impact.lines} lines`,
      },
      {
        measure: `full lineage (${n})`,
        cairn: ms(r.full) + rss(r.full),
        target: "≤ 1 s",
        pass: r.full.ms <= 1000,
        note: `${r.full.lines} lines`,
      },
      {
        measure: `gc --dry-run, first pass (${n})`,
        cairn: ms(r.gcFirst) + rss(r.gcFirst),
        note: "reads every object and learns its facts",
      },
      {
        measure: `gc --dry-run (${n})`,
        cairn: ms(r.gc) + rss(r.gc),
        ...(r.peer
          ? {
            peer: "git prune --dry-run",
            peerFigure: ms(r.peer.prune),
            ratio: r.peer.prune / r.gc.ms,
          }
          : {}),
        ...(r.baseline
          ? { note: `baseline ${ms(r.baseline.gc)}: ${(r.baseline.gc.ms / r.gc.ms).toFixed(1)}×` }
          : {}),
      },
      {
        measure: `fsck --quick (${n})`,
        cairn: ms(r.fsck) + rss(r.fsck),
        ...(r.peer
          ? {
            peer: "git fsck --connectivity-only",
            peerFigure: ms(r.peer.fsck),
            ratio: r.peer.fsck / r.fsck.ms,
          }
          : {}),
        ...(r.baseline
          ? {
            note: `baseline ${ms(r.baseline.fsck)}: ${
              (r.baseline.fsck.ms / r.fsck.ms).toFixed(1)
            }×`,
          }
          : {}),
      },
      {
        measure: `catch-up, 1,003 new runs in a new scenario (${n})`,
        cairn: ms(r.newScenario.ms),
        target: "≤ 100 ms",
        pass: r.newScenario.ms <= 100,
        note: `first query ${ms(r.newScenario.first)}, next ${ms(r.newScenario.next)}`,
      },
      {
        measure: `catch-up, the big scenario again + 167 iterations (${n})`,
        cairn: ms(r.extended.ms),
        target: "≤ 100 ms",
        pass: r.extended.ms <= 100,
        note: `first query ${ms(r.extended.first)}, next ${ms(r.extended.next)}; its record lists ${
          (r.runs + 1002).toLocaleString("en-US")
        } invocations`,
      },
    );
    if (r.baseline) {
      rows.push(
        {
          measure: `baseline: impact of the seed (${n})`,
          cairn: ms(r.baseline.impact) + rss(r.baseline.impact),
        },
        {
          measure: `baseline: full lineage (${n})`,
          cairn: ms(r.baseline.full) + rss(r.baseline.full),
        },
      );
    }
  }
  const large = results[results.length - 1]!;
  if (large !== small) {
    const growth = (a: Measured, b: Measured) => b.ms / a.ms;
    rows.push({
      measure: `bounded queries, ${large.runs} ÷ ${small.runs} runs`,
      cairn: [
        `runs ${growth(small.runsQ, large.runsQ).toFixed(2)}×`,
        `lineage ${growth(small.lineage4, large.lineage4).toFixed(2)}×`,
      ].join(", "),
      target: "≤ 1.3×",
      pass: growth(small.runsQ, large.runsQ) <= 1.3 &&
        growth(small.lineage4, large.lineage4) <= 1.3,
    });
  }
  return { title: "queries (cairn processes through the launcher, best of 3)", rows, notes };
};

/** The "queries" benchmark section. */
export const queriesSection: Section = {
  name: "queries",
  run: (bench) => run(bench.scratch, bench.peers.git),
};

if (import.meta.main) {
  const scratch = Deno.makeTempDirSync({ prefix: "cairn-queries-bench-" });
  try {
    const result = await run(scratch, hasCommand("git", ["--version"]));
    console.log(formatTable([result], Deno.stdout.isTerminal()));
  } finally {
    Deno.removeSync(scratch, { recursive: true });
  }
}
