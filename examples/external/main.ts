/**
 * `deno task external`: external programs as steps. A small iterative model whose
 * congestion step is a Python script (standard library only) and whose summary is a
 * shell tool (awk), both declared with `command`, in a workspace made from
 * `examples/external/project/` under `demo-output/external/` (a project of its own, as
 * a user's would be). It runs the model on the host, then under the sandbox, edits the
 * script (only that step re-runs), edits an unrelated file (nothing runs), runs a
 * calibration that reads a file it does not declare (the sandbox refuses it, naming
 * the file), and runs the summary in a container when podman is present.
 *
 * Each run is a `deno run -A pipeline.ts` in the workspace, as a user starts it.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { fromFileUrl } from "../../lib/identity/paths.ts";
import { ObjectStore } from "../../mod.ts";
import { type ScenarioEntry, scenarioHistory } from "../../lib/query/mod.ts";
import { buildExampleImage, imageProblem } from "./_image.ts";

const REPO = fromFileUrl(new URL("../../", import.meta.url).href);
const PROJECT = `${REPO}examples/external/project`;
const WORKSPACE = `${Deno.cwd()}/demo-output/external`;
const IMAGE = "localhost/cairn-external-busybox:1";

const say = (...lines: string[]) => lines.forEach((l) => console.log(l));
const heading = (n: number, title: string) => say("", `${n}. ${title}`, "");
const indent = (lines: readonly string[]) => lines.map((l) => (l === "" ? "" : `   ${l}`));
const short = (id: string) => id.slice(0, 12);

const copyDir = (from: string, to: string) => {
  Deno.mkdirSync(to, { recursive: true });
  for (const entry of Deno.readDirSync(from)) {
    if (entry.isDirectory) copyDir(`${from}/${entry.name}`, `${to}/${entry.name}`);
    else Deno.copyFileSync(`${from}/${entry.name}`, `${to}/${entry.name}`);
  }
};

// The workspace: the project's files and a deno.json whose import map names cairn.
const setUp = () => {
  try {
    Deno.removeSync(WORKSPACE, { recursive: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  copyDir(PROJECT, WORKSPACE);
  const repo = JSON.parse(Deno.readTextFileSync(`${REPO}deno.json`));
  const imports = { ...repo.imports, cairn: new URL("../../mod.ts", import.meta.url).href };
  Deno.writeTextFileSync(`${WORKSPACE}/deno.json`, JSON.stringify({ imports }, null, 2) + "\n");
};

interface Ran {
  readonly code: number;
  readonly stderr: string;
  readonly record: ScenarioEntry | undefined;
}

const readNewest = (store: string, scenario: string) =>
  Effect.runPromise(
    scenarioHistory(scenario, 1).pipe(
      Effect.map(([newest]) => newest),
      Effect.provide(ObjectStore.layer({ root: store, create: false })),
    ),
  ).catch(() => undefined);

const readText = (store: string, id: string) =>
  Effect.runPromise(
    Effect.gen(function* () {
      return new TextDecoder().decode(yield* (yield* ObjectStore).readBlob(id));
    }).pipe(Effect.provide(ObjectStore.layer({ root: store, create: false }))),
  );

/** Runs `script` in the workspace over `store`; returns its exit code, stderr and record. */
const runScript = async (
  script: string,
  scenario: string,
  env: Record<string, string> = {},
  store = `${WORKSPACE}/.cairn`,
): Promise<Ran> => {
  const before = await readNewest(store, scenario);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script],
    cwd: WORKSPACE,
    env: { CAIRN_STORE: store, CAIRN_PROGRESS: "0", CAIRN_DEBUG: "cache", NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const record = await readNewest(store, scenario);
  return {
    code: out.code,
    stderr: new TextDecoder().decode(out.stderr),
    record: record && record.id !== before?.id ? record : undefined,
  };
};

const ranges = (nums: readonly number[]): string => {
  const sorted = [...nums].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? `${sorted[i]}` : `${sorted[i]}–${sorted[j]}`);
    i = j;
  }
  return parts.join(", ") || "—";
};

// Per step: the iterations that ran and those that were reused.
const reuse = (record: ScenarioEntry): string[] => {
  const steps = new Map<string, { ran: number[]; hit: number[]; once?: boolean }>();
  for (const inv of record.invocations) {
    const s = steps.get(inv.step) ?? { ran: [], hit: [] };
    if (inv.iteration === null) s.once = inv.hit;
    else (inv.hit ? s.hit : s.ran).push(inv.iteration);
    steps.set(inv.step, s);
  }
  const rows = [
    ["step", "ran", "reused"],
    ...[...steps].map(([step, s]) =>
      s.once === undefined
        ? [step, ranges(s.ran), ranges(s.hit)]
        : [step, s.once ? "—" : "(once)", s.once ? "(once)" : "—"]
    ),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd());
};

const tally = (record: ScenarioEntry): string => {
  const hits = record.invocations.filter((i) => i.hit).length;
  const total = record.invocations.length;
  return hits === total
    ? `all ${total} invocations were cache hits — nothing ran`
    : `${total - hits} of ${total} invocations ran, ${hits} were cache hits`;
};

// The debug line that says why an invocation missed (CAIRN_DEBUG=cache).
const whyLine = (stderr: string, label: string): string =>
  stderr.split("\n").find((l) => l.startsWith(`[cairn] miss ${label} `))?.replace(
    /^\[cairn\] miss \S+ key \w+: /,
    "",
  ) ?? "(no miss)";

const outputOf = (record: ScenarioEntry, step: string, name: string, store: string) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const inv = [...record.invocations].reverse().find((i) => i.step === step && i.run);
      const run = yield* (yield* ObjectStore).readRecord(inv!.run!);
      return (run.outputs as Record<string, { id: string }>)[name]!.id;
    }).pipe(Effect.provide(ObjectStore.layer({ root: store, create: false }))),
  );

const edit = (file: string, from: string, to: string) => {
  const path = `${WORKSPACE}/${file}`;
  const text = Deno.readTextFileSync(path);
  if (!text.includes(from)) throw new Error(`"${from}" is not in ${file}`);
  Deno.writeTextFileSync(path, text.replace(from, to));
};

const must = (ran: Ran, what: string): Ran & { readonly record: ScenarioEntry } => {
  if (ran.code !== 0 || !ran.record) {
    throw new Error(`${what} failed (exit ${ran.code}):\n${ran.stderr}`);
  }
  return ran as Ran & { readonly record: ScenarioEntry };
};

const main = async () => {
  setUp();
  const store = `${WORKSPACE}/.cairn`;
  say(`cairn external-programs example — workspace: demo-output/external (store: .cairn in it)`);

  heading(
    1,
    "On the host (sandbox off): 4 iterations of assign (TypeScript) and congestion (Python), then summary (awk)",
  );
  const { record: host } = must(
    await runScript("pipeline.ts", "external", { CAIRN_SANDBOX: "0" }),
    "the host run",
  );
  say(...indent([tally(host), "", ...reuse(host)]));
  const summaryId = await outputOf(host, "summary", "summary", store);
  say("", ...indent([`summary: ${(await readText(store, summaryId)).trim()}`]));

  heading(2, "Under the sandbox (bubblewrap), in a second store: every program runs again");
  const sandboxStore = `${WORKSPACE}/.cairn-sandboxed`;
  const sandboxed = await runScript(
    "pipeline.ts",
    "external",
    { CAIRN_SANDBOX: "1" },
    sandboxStore,
  );
  if (sandboxed.code !== 0 && /Cannot run command .* in the sandbox/.test(sandboxed.stderr)) {
    say(
      ...indent([`the sandbox cannot start here: ${sandboxed.stderr.trim().split("\n").at(-1)}`]),
    );
  } else {
    const { record } = must(sandboxed, "the sandboxed run");
    say(...indent([tally(record), ""]));
    const same = (await outputOf(record, "congestion", "times", sandboxStore)) ===
      (await outputOf(host, "congestion", "times", store));
    say(...indent([
      `final times: ${
        same ? "the same bytes" : "DIFFERENT bytes"
      } as on the host — the sandbox decides`,
      "what a program may read, not what it computes, so it is not part of the key:",
      "a store filled on the host serves sandboxed runs, and the other way round",
    ]));
  }

  heading(3, "Edit py/bpr.py (its report line): congestion re-runs, nothing else");
  edit("py/bpr.py", "most congested: link", "busiest link:");
  const { record: edited, stderr: editedStderr } = must(
    await runScript("pipeline.ts", "external"),
    "the run after the edit",
  );
  say(...indent([tally(edited), "", ...reuse(edited), ""]));
  say(...indent([
    `why congestion@0 ran: ${whyLine(editedStderr, "congestion@0")}`,
    "assign@1 is reused: the script's times did not change (early cutoff), only its report",
  ]));

  heading(4, "Edit NOTES.md and data/observed.csv, which no command of the model declares");
  edit("NOTES.md", "Field notes", "Field notes (edited)");
  edit("data/observed.csv", "1,11.2", "1,11.4");
  const { record: unrelated } = must(
    await runScript("pipeline.ts", "external"),
    "the run after the unrelated edit",
  );
  say(...indent([tally(unrelated)]));

  heading(5, "calibrate.ts reads data/observed.csv without declaring it");
  const refused = await runScript("calibrate.ts", "calibration", { CAIRN_SANDBOX: "1" });
  const error = refused.stderr.split("\n").find((l) => l.startsWith("error: "));
  say(...indent([
    `under the sandbox: exit ${refused.code}`,
    ...(error ?? "(no error)").replace(/; /g, ";\n  ").split("\n"),
  ]));
  edit(
    "calibrate.ts",
    'sources: ["py/calibrate.py"]',
    'sources: ["py/calibrate.py", "data/observed.csv"]',
  );
  const { record: calibrated } = must(
    await runScript("calibrate.ts", "calibration"),
    "the calibration",
  );
  const fit = await readText(store, await outputOf(calibrated, "calibrate", "fit", store));
  say(
    "",
    ...indent([`declared in sources, it runs: ${fit}`]),
  );
  edit("data/observed.csv", "2,6.3", "2,6.5");
  const recalibrated = must(await runScript("calibrate.ts", "calibration"), "the re-calibration");
  say(...indent([
    `data/observed.csv edited again: ${tally(recalibrated.record)}`,
    `why calibrate ran: ${whyLine(recalibrated.stderr, "calibrate")}`,
  ]));

  heading(6, "The summary in a container (podman)");
  const problem = imageProblem();
  if (problem) {
    say(...indent([`skipped: ${problem}`]));
  } else {
    const id = buildExampleImage(IMAGE);
    const { record: inContainer, stderr: inContainerStderr } = must(
      await runScript("pipeline.ts", "external", { EXTERNAL_IMAGE: IMAGE }),
      "the container run",
    );
    say(...indent([
      `image ${IMAGE} (ID ${short(id)}, built from busybox-static by buildah)`,
      tally(inContainer),
      `why summary ran: ${whyLine(inContainerStderr, "summary")}`,
      `summary in the container: ${
        (await readText(store, await outputOf(inContainer, "summary", "summary", store))).trim()
      }`,
    ]));
  }

  heading(7, "Next steps, on the same store");
  const flag = "--store demo-output/external/.cairn";
  say(...indent([
    `deno task cairn logs external congestion@3 ${flag}   # what the script printed`,
    `deno task cairn why external congestion@0 ${flag}    # why it ran`,
    `deno task cairn show external ${flag}                # its invocations, hits and misses`,
    `deno task cairn lineage external --depth 3 ${flag}   # the results, back through the runs`,
  ]));
};

if (import.meta.main) await main();
