// Section "command": what a `command` step costs beyond its program's own run. The
// program copies a 1 KiB input and appends its config value (`sh -c 'cat … > …; echo
// … >> …'`); N invocations with distinct configs (every one a miss) run in one
// pipeline on the host, under the sandbox and in a container, and the same program is
// started N times by a plain Deno.Command in the same run — by bwrap and `podman run`
// for the sandbox and container rows, so each overhead is cairn's own. The peer is
// Snakemake's `shell:` rule doing the same N jobs (Debian's snakemake), per job
// beyond its start-up (a 1-job run), cold and with nothing to do.
//
// Run alone: `deno run -A tests/bench/command_bench.ts`. `CAIRN_BENCH_COMMAND_N` sets N
// (default 40; the container rows run N/4).
import { Effect } from "effect";
import { command, input, Pipeline, scenario, Text } from "../../mod.ts";
import type { Row, Section, SectionResult } from "./_section.ts";
import { formatMicros, hasCommand, positiveInt } from "./_measure.ts";
import { formatTable } from "./_table.ts";
import { buildImage, imageProblem, removeImages } from "../../examples/external/_image.ts";

const SCRIPT = 'cat "$1" > "$2"; echo "$3" >> "$2"';
const PLAIN_TARGET_MS = 5;
const SANDBOX_TARGET_MS = 30;
const CONTAINER_TARGET_MS = 10;

// One declaration per placement, with the config varied per invocation: a factory.
const copyWith = (i: number, options: { sandbox?: boolean; image?: string }) =>
  command({
    name: "bench.copy",
    inputs: { data: Text },
    outputs: { copy: Text },
    config: { i },
    ...(options.image ? { container: { image: options.image } } : { tools: ["sh"] }),
    ...(options.sandbox === undefined ? {} : { sandbox: options.sandbox }),
    argv: ({ inputs, outputs, config }) => [
      "sh",
      "-c",
      SCRIPT,
      "sh",
      inputs.data,
      outputs.copy,
      String(config.i),
    ],
  });

const median = (xs: readonly number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** A plain Deno.Command run of the program (through `wrap`), for the pairs. */
const plainRun = (dir: string, data: string, wrap: (argv: string[]) => string[]) => {
  Deno.mkdirSync(dir, { recursive: true });
  return async (i: number) => {
    const argv = wrap(["sh", "-c", SCRIPT, "sh", data, `${dir}/copy-${i}.txt`, String(i)]);
    const out = await new Deno.Command(argv[0]!, {
      args: argv.slice(1),
      cwd: dir,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(`${argv.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  };
};

/** Medians (ms) of paired runs: the program by `bare`, then as a command; then hits. */
interface Paired {
  readonly bare: number;
  readonly command: number;
  /** The median of the pairs' differences: what the command adds. */
  readonly overhead: number;
  readonly hit: number;
}

// N pairs under the same load: the program started by a plain Deno.Command (through
// bubblewrap or podman for those rows), then the command invocation (a miss); then the
// N invocations again (hits). One pipeline over a fresh store.
const paired = async (
  root: string,
  data: string,
  n: number,
  options: { sandbox?: boolean; image?: string },
  bare: (i: number) => Promise<void>,
): Promise<Paired> => {
  const steps = Array.from({ length: n + 1 }, (_, i) => copyWith(i, options));
  const layer = Pipeline.layerDisk({ root, sandbox: options.sandbox ?? false });
  const bareMs: number[] = [];
  const commandMs: number[] = [];
  const hitMs: number[] = [];
  await Effect.runPromise(
    scenario(
      "command-bench",
      {},
      Effect.gen(function* () {
        const file = yield* input.file(data, Text);
        // Warm-up, not timed: module loading, the sandbox probe, the image ID.
        yield* Effect.promise(() => bare(-1));
        yield* steps[n]!({ data: file });
        for (let i = 0; i < n; i++) {
          const t0 = performance.now();
          yield* Effect.promise(() => bare(i));
          const t1 = performance.now();
          yield* steps[i]!({ data: file });
          bareMs.push(t1 - t0);
          commandMs.push(performance.now() - t1);
        }
        for (let i = 0; i < n; i++) {
          const t0 = performance.now();
          yield* steps[i]!({ data: file });
          hitMs.push(performance.now() - t0);
        }
      }),
    ).pipe(Effect.provide(layer)),
  );
  return {
    bare: median(bareMs),
    command: median(commandMs),
    overhead: median(commandMs.map((c, i) => c - bareMs[i]!)),
    hit: median(hitMs),
  };
};

const BWRAP = (dir: string, data: string) => (argv: string[]) => [
  "bwrap",
  "--unshare-all",
  "--die-with-parent",
  "--ro-bind",
  "/usr",
  "/usr",
  "--symlink",
  "usr/bin",
  "/bin",
  "--symlink",
  "usr/lib",
  "/lib",
  "--symlink",
  "usr/lib64",
  "/lib64",
  "--proc",
  "/proc",
  "--dev",
  "/dev",
  "--bind",
  dir,
  dir,
  "--ro-bind",
  data,
  data,
  "--chdir",
  dir,
  ...argv,
];

const PODMAN = (dir: string, data: string, image: string) => (argv: string[]) => [
  "podman",
  "run",
  "--rm",
  "--network",
  "none",
  ...(hybridCgroups()
    ? ["--runtime", "runc", "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=32768:32768"]
    : []),
  "-v",
  `${dir}:${dir}`,
  "-v",
  `${data}:${data}:ro`,
  "-w",
  dir,
  image,
  ...argv,
];

const hybridCgroups = () => {
  try {
    return Deno.statSync("/sys/fs/cgroup/unified").isDirectory;
  } catch {
    return false;
  }
};

const SNAKEFILE = `N = int(config["n"])

rule all:
    input: expand("out/{i}.txt", i=range(N))

rule copy:
    input: "data.txt"
    output: "out/{i}.txt"
    shell: "cat {input} > {output}; echo {wildcards.i} >> {output}"
`;

/** Snakemake: ms for a whole run of `n` jobs, then for a run with nothing to do. */
const snakemake = async (dir: string, data: string, n: number) => {
  Deno.mkdirSync(dir, { recursive: true });
  Deno.writeTextFileSync(`${dir}/Snakefile`, SNAKEFILE);
  Deno.copyFileSync(data, `${dir}/data.txt`);
  const run = async () => {
    const t0 = performance.now();
    const out = await new Deno.Command("snakemake", {
      args: ["--cores", "1", "--quiet", "--config", `n=${n}`],
      cwd: dir,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(`snakemake: ${new TextDecoder().decode(out.stderr)}`);
    return performance.now() - t0;
  };
  return { coldMs: await run(), noopMs: await run() };
};

const ms = (x: number) => formatMicros(x * 1000);

/** The command section over scratch directory `scratch`. */
export const runCommandSection = async (scratch: string): Promise<SectionResult> => {
  const n = positiveInt("CAIRN_BENCH_COMMAND_N", 40);
  const notes: string[] = [];
  const rows: Row[] = [];
  const data = `${scratch}/command-data.txt`;
  Deno.writeTextFileSync(data, "x".repeat(1023) + "\n");
  const previous = Deno.env.get("CAIRN_PROGRESS");
  Deno.env.set("CAIRN_PROGRESS", "0");
  try {
    const plainDir = `${scratch}/command-plain`;
    const host = await paired(
      `${scratch}/command-host`,
      data,
      n,
      { sandbox: false },
      plainRun(plainDir, data, (a) => a),
    );
    rows.push({
      measure: "command on the host, per invocation",
      cairn: ms(host.command),
      peer: "Deno.Command",
      peerFigure: ms(host.bare),
      note: `the same sh program; medians of ${n} pairs run alternately`,
    });
    rows.push({
      measure: "  overhead beyond the program's own run",
      cairn: ms(host.overhead),
      target: `≤ ${PLAIN_TARGET_MS} ms`,
      pass: host.overhead <= PLAIN_TARGET_MS,
    });
    rows.push({
      measure: "command cache hit, per invocation",
      cairn: ms(host.hit),
      note: "median",
    });

    if (hasCommand("bwrap", ["--version"])) {
      const dir = `${scratch}/command-bwrap`;
      Deno.mkdirSync(dir, { recursive: true });
      const sandboxed = await paired(
        `${scratch}/command-sandbox`,
        data,
        n,
        { sandbox: true },
        plainRun(dir, data, BWRAP(dir, data)),
      );
      const bareHost = await paired(`${scratch}/command-host-2`, data, Math.min(n, 10), {
        sandbox: false,
      }, plainRun(`${dir}-host`, data, (a) => a));
      rows.push({
        measure: "command under the sandbox, per invocation",
        cairn: ms(sandboxed.command),
        peer: "bwrap by Deno.Command",
        peerFigure: ms(sandboxed.bare),
      });
      rows.push({
        measure: "  overhead beyond the program's own run",
        cairn: ms(sandboxed.command - bareHost.bare),
        target: `≤ ${SANDBOX_TARGET_MS} ms`,
        pass: sandboxed.command - bareHost.bare <= SANDBOX_TARGET_MS,
        note: `beyond bare bwrap: ${ms(sandboxed.overhead)} (bwrap itself ${
          ms(sandboxed.bare - bareHost.bare)
        })`,
      });
    } else notes.push("command: bwrap not installed (Debian: bubblewrap): sandbox rows skipped");

    const problem = imageProblem();
    if (problem === undefined) {
      const image = `localhost/cairn-bench-busybox:${crypto.randomUUID().slice(0, 8)}`;
      buildImage(image);
      try {
        const k = Math.max(3, Math.floor(n / 4));
        const dir = `${scratch}/command-podman`;
        Deno.mkdirSync(dir, { recursive: true });
        const contained = await paired(
          `${scratch}/command-container`,
          data,
          k,
          { image },
          plainRun(dir, data, PODMAN(dir, data, image)),
        );
        rows.push({
          measure: "command in a container, per invocation",
          cairn: ms(contained.command),
          peer: "podman run by Deno.Command",
          peerFigure: ms(contained.bare),
          note: `medians of ${k} pairs`,
        });
        rows.push({
          measure: "  overhead beyond the runtime's start-up",
          cairn: ms(contained.overhead),
          target: `≤ ${CONTAINER_TARGET_MS} ms`,
          pass: contained.overhead <= CONTAINER_TARGET_MS,
        });
      } finally {
        removeImages(image);
      }
    } else notes.push(`command: ${problem}: container rows skipped`);

    if (hasCommand("snakemake", ["--version"])) {
      const one = await snakemake(`${scratch}/command-snakemake-1`, data, 1);
      const all = await snakemake(`${scratch}/command-snakemake-n`, data, n);
      const perJob = (all.coldMs - one.coldMs) / (n - 1);
      rows.push({
        measure: "per job beyond start-up, cold",
        cairn: ms(host.command),
        peer: "snakemake shell:",
        peerFigure: ms(perJob),
        ratio: perJob / host.command,
        note: `snakemake start-up ${ms(one.coldMs)} (a 1-job run); ${n} jobs ${ms(all.coldMs)}`,
      });
      rows.push({
        measure: "nothing to do, per job (cairn: a hit)",
        cairn: ms(host.hit),
        peer: "snakemake shell:",
        peerFigure: ms(all.noopMs / n),
        ratio: all.noopMs / n / host.hit,
        note: `snakemake's whole run with nothing to do (${
          ms(all.noopMs)
        }) ÷ ${n}; its marginal cost per job is about 0`,
      });
    } else notes.push("command: snakemake not installed (Debian: snakemake): peer skipped");
  } finally {
    if (previous === undefined) Deno.env.delete("CAIRN_PROGRESS");
    else Deno.env.set("CAIRN_PROGRESS", previous);
  }
  return { title: `command (a 1 KiB copy by sh, ${n} invocations)`, rows, notes };
};

/** Section "command" for `main.ts`. */
export const commandSection: Section = {
  name: "command",
  run: (bench) => runCommandSection(bench.scratch),
};

if (import.meta.main) {
  const scratch = Deno.makeTempDirSync({ prefix: "cairn-command-bench-" });
  try {
    const result = await runCommandSection(scratch);
    console.log(formatTable([result], Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR")));
    for (const note of result.notes) console.log(`note: ${note}`);
  } finally {
    Deno.removeSync(scratch, { recursive: true });
  }
}
