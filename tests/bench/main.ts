/**
 * cairn's benchmark script (`deno task bench`). Not a test: it prints figures and
 * ratios against peers measured in the same run on the same data, with targets
 * marked PASS or MISS for information; a miss never fails the run.
 *
 * Environment: `CAIRN_BENCH_N` (object count, default 50000), `CAIRN_BENCH_MIB`
 * (big file size, default 256). Scratch data lives in `tests/bench/.scratch/` and
 * is removed at the end (a run killed half-way leaves it; the next run clears it).
 *
 * To add a section, write a `Section` in its own file and list it in `SECTIONS`.
 * `deno task bench NAME…` runs the named sections only.
 *
 * @module
 */
import { processIsAlive } from "../../store/_fs.ts";
import { chainSection } from "./chain_bench.ts";
import { clusterSection } from "./cluster_bench.ts";
import { commandSection } from "./command_bench.ts";
import { hashSection } from "./hash_bench.ts";
import { indexSection } from "./index_bench.ts";
import { lineageSection } from "./lineage_bench.ts";
import { materializeSection } from "./materialize_bench.ts";
import { objectsSection } from "./objects_bench.ts";
import { parallelSection } from "./parallel_bench.ts";
import { queriesSection } from "./queries_bench.ts";
import { remoteSection } from "./remote_bench.ts";
import { statCacheSection } from "./stat_cache_bench.ts";
import type { Bench, Section, SectionResult } from "./_section.ts";
import { formatCount, hasCommand, positiveInt, settle, writeRandomFile } from "./_measure.ts";
import { formatTable } from "./_table.ts";

/** The sections, in the order they run and print. */
export const SECTIONS: readonly Section[] = [
  objectsSection,
  indexSection,
  hashSection,
  statCacheSection,
  materializeSection,
  chainSection,
  lineageSection,
  queriesSection,
  commandSection,
  parallelSection,
  clusterSection,
  remoteSection,
];

const removeIfPresent = (path: string, recursive: boolean): void => {
  try {
    Deno.removeSync(path, { recursive });
  } catch (e) {
    // Absent, or (non-recursive) a .scratch another run is still using.
    if (!(e instanceof Deno.errors.NotFound) && recursive) throw e;
  }
};

// Leftovers of killed runs (run-<pid> of a process that is gone).
const clearStaleRuns = (scratchRoot: string): void => {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(scratchRoot)];
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw e;
  }
  for (const entry of entries) {
    const pid = Number(/^run-(\d+)$/.exec(entry.name)?.[1]);
    if (pid && pid !== Deno.pid && !processIsAlive(pid)) {
      removeIfPresent(`${scratchRoot}/${entry.name}`, true);
    }
  }
};

interface PeerVersions {
  readonly git: string | undefined;
  readonly openssl: string | undefined;
}

// The peer's version line ("git version 2.39.5" → "git 2.39.5"), or undefined when absent.
const peerVersion = (cmd: string, args: readonly string[]): string | undefined => {
  if (!hasCommand(cmd, args)) return undefined;
  const out = new Deno.Command(cmd, { args: [...args], stderr: "null" }).outputSync();
  const words = new TextDecoder().decode(out.stdout).trim().split(/\s+/);
  return words[0] === "git" ? `git ${words[2]}` : `${words[0]} ${words[1]}`;
};

const makeBench = (scratch: string, versions: PeerVersions): Bench => {
  const mib = positiveInt("CAIRN_BENCH_MIB", 256);
  let bigFile: string | undefined;
  return {
    n: positiveInt("CAIRN_BENCH_N", 50_000),
    mib,
    scratch,
    peers: { git: versions.git !== undefined, openssl: versions.openssl !== undefined },
    bigFile: () => {
      if (bigFile === undefined) {
        const path = `${scratch}/big.bin`;
        writeRandomFile(path, mib);
        bigFile = path;
      }
      return bigFile;
    },
  };
};

// What the figures depend on, so that runs can be compared.
const header = (bench: Bench, versions: PeerVersions): string => {
  const peers = [versions.git, versions.openssl].filter((v) => v !== undefined).join(", ");
  const load = Deno.loadavg()[0]!.toFixed(2);
  return `cairn bench: ${formatCount(bench.n)} objects, ${bench.mib} MiB file\n` +
    `deno ${Deno.version.deno}, ${Deno.build.os}-${Deno.build.arch}, ` +
    `${navigator.hardwareConcurrency} CPUs, load average ${load} at start; ` +
    `peers: ${peers || "none found"}\n`;
};

/** Runs every section and prints the table; returns false if a section failed. */
export const main = async (sections: readonly Section[] = SECTIONS): Promise<boolean> => {
  const scratchRoot = `${import.meta.dirname}/.scratch`;
  clearStaleRuns(scratchRoot);
  const scratch = `${scratchRoot}/run-${Deno.pid}`;
  const versions: PeerVersions = {
    git: peerVersion("git", ["--version"]),
    openssl: peerVersion("openssl", ["version"]),
  };
  const bench = makeBench(scratch, versions);
  const heading = header(bench, versions);
  Deno.mkdirSync(scratch, { recursive: true });
  const results: SectionResult[] = [];
  const failures: string[] = [];
  try {
    for (const section of sections) {
      console.error(`running ${section.name}…`);
      const start = performance.now();
      try {
        results.push(await section.run(bench));
      } catch (e) {
        failures.push(`${section.name}: ${e instanceof Error ? e.stack ?? e.message : e}`);
      }
      console.error(`  ${section.name} took ${((performance.now() - start) / 1000).toFixed(1)} s`);
    }
  } finally {
    removeIfPresent(scratch, true);
    removeIfPresent(scratchRoot, false);
    // ext4 without a journal avoids reusing an inode for 60 s after its deletion,
    // 300 s while its inode table is unwritten: writing it back now spares the
    // next run's file creations most of that.
    settle();
  }
  const color = Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR");
  console.log(heading);
  console.log(formatTable(results, color));
  const notes = results.flatMap((r) => r.notes);
  console.log(
    "\n× faster: the peer's time ÷ cairn's (above 1× cairn is faster). " +
      "Targets are informational; a MISS does not fail the run.",
  );
  for (const note of notes) console.log(`note: ${note}`);
  for (const failure of failures) console.log(`FAILED ${failure}`);
  return failures.length === 0;
};

if (import.meta.main) {
  // `deno task bench remote queries` runs those sections only.
  const unknown = Deno.args.filter((name) => !SECTIONS.some((s) => s.name === name));
  if (unknown.length > 0) {
    console.error(
      `Cannot run section ${unknown.map((u) => `"${u}"`).join(", ")}: there is no such section (${
        SECTIONS.map((s) => s.name).join(", ")
      })`,
    );
    Deno.exit(2);
  }
  const chosen = Deno.args.length > 0
    ? SECTIONS.filter((s) => Deno.args.includes(s.name))
    : SECTIONS;
  if (!(await main(chosen))) Deno.exitCode = 1;
}
