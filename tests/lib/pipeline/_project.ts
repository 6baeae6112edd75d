// A throw-away pipeline project for the mutation tests: a temp dir with a deno.json
// whose import map names cairn ("cairn" → this checkout's mod.ts), the given source
// files, and a store. Each run is a child `deno run -A <script>` as a user would
// start it; the newest record of the scenario says exactly which steps ran (misses)
// and which were reused (hits).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { openStoreContext } from "../../../store/object_store.ts";
import { readVerified } from "../../../store/objects.ts";
import { decodeRecord, type StoreRecord } from "../../../store/record.ts";
import { readRef } from "../../../store/refs.ts";

const MAIN = fileURLToPath(new URL("../../../", import.meta.url));

/** What one invocation did. */
export type Verdict = "hit" | "miss" | "failed";

/** One finished run of a script. */
export interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The scenario record this run wrote (null when it wrote none). */
  readonly id: string | null;
  readonly record: StoreRecord | null;
  /** `step` or `step@iteration` → what that invocation did. */
  readonly steps: Record<string, Verdict>;
}

interface InvocationRecord {
  readonly step: string;
  readonly iteration: number | null;
  readonly run: string | null;
  readonly hit: boolean;
  readonly status: string;
}

/** Options of a run. */
export interface RunOptions {
  readonly script?: string;
  readonly env?: Record<string, string>;
  /** The scenario whose record to read (default "mutation"; null: the script writes none). */
  readonly scenario?: string | null;
  /** Expect a non-zero exit (default: the run must succeed). */
  readonly fails?: boolean;
  readonly args?: readonly string[];
}

/** A temp project. */
export interface TempProject {
  readonly dir: string;
  readonly store: string;
  readonly write: (file: string, text: string) => void;
  /** Replaces the one occurrence of `from` in `file` with `to`. */
  readonly edit: (file: string, from: string, to: string) => void;
  readonly run: (options?: RunOptions) => Promise<Outcome>;
  /** Starts a run without waiting for it (stdout/stderr piped). */
  readonly spawn: (options?: RunOptions) => Deno.ChildProcess;
  /** The text of output `name` of the run of `label` (`step` or `step@i`) in `outcome`. */
  readonly output: (outcome: Outcome, label: string, name: string) => string;
  /** The run record of `label` in `outcome`. */
  readonly runRecord: (outcome: Outcome, label: string) => StoreRecord;
  readonly readRecord: (id: string) => StoreRecord;
  readonly close: () => void;
}

const DEFAULT_ENV = { CAIRN_PROGRESS: "0", CAIRN_DEBUG: "cache" };

/** Makes a project holding `files` (path → text). */
export const makeProject = (files: Record<string, string>): TempProject => {
  const dir = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "cairn-project-" }));
  const store = `${dir}/store`;
  const main = JSON.parse(Deno.readTextFileSync(`${MAIN}deno.json`));
  const imports = { ...main.imports, cairn: pathToFileURL(`${MAIN}mod.ts`).href };
  const write = (file: string, text: string) => {
    const path = `${dir}/${file}`;
    Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    Deno.writeTextFileSync(path, text);
  };
  write("deno.json", JSON.stringify({ imports }, null, 2) + "\n");
  for (const [file, text] of Object.entries(files)) write(file, text);

  const withStore = <A>(f: (ctx: ReturnType<typeof openStoreContext>) => A): A => {
    const ctx = openStoreContext(store, { create: false });
    try {
      return f(ctx);
    } finally {
      ctx.session.close();
    }
  };
  const readRecord = (id: string) =>
    withStore((ctx) => decodeRecord(readVerified(ctx, id, "record"), id));
  const newest = (scenario: string): string | null =>
    existsSync(`${store}/format`)
      ? withStore((ctx) => readRef(ctx.layout, `scenarios/${scenario}`))
      : null;

  const command = (options: RunOptions) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", options.script ?? "pipeline.ts", ...(options.args ?? [])],
      cwd: dir,
      env: { CAIRN_STORE: store, ...DEFAULT_ENV, ...options.env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    });

  const run = async (options: RunOptions = {}): Promise<Outcome> => {
    const scenario = options.scenario === undefined ? "mutation" : options.scenario;
    const before = scenario === null ? null : newest(scenario);
    const out = await command(options).output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    if (options.fails) assert.notEqual(out.code, 0, `the run was expected to fail:\n${stderr}`);
    else assert.equal(out.code, 0, `the run failed:\n${stderr}`);
    const id = scenario === null ? null : newest(scenario);
    const fresh = id !== null && id !== before;
    if (!options.fails && scenario !== null) {
      assert.ok(fresh, `the run wrote no new scenario record:\n${stderr}`);
    }
    const record = fresh ? readRecord(id) : null;
    const steps: Record<string, Verdict> = {};
    for (const i of (record?.invocations ?? []) as unknown as InvocationRecord[]) {
      // A label invoked again gets "#2", "#3", … in the order of the record.
      const base = i.iteration === null ? i.step : `${i.step}@${i.iteration}`;
      let label = base;
      for (let n = 2; label in steps; n++) label = `${base}#${n}`;
      steps[label] = i.status !== "ok" ? "failed" : i.hit ? "hit" : "miss";
    }
    return { code: out.code, stdout, stderr, id: fresh ? id : null, record, steps };
  };

  const runRecord = (outcome: Outcome, label: string): StoreRecord => {
    const invocations = (outcome.record?.invocations ?? []) as unknown as InvocationRecord[];
    const [base, nth] = label.split("#");
    const found =
      invocations.filter((i) =>
        (i.iteration === null ? i.step : `${i.step}@${i.iteration}`) === base
      )[Number(nth ?? 1) - 1];
    assert.ok(found?.run, `no run of "${label}" in the scenario record`);
    return readRecord(found.run);
  };

  return {
    dir,
    store,
    write,
    edit: (file, from, to) => {
      const path = `${dir}/${file}`;
      const text = Deno.readTextFileSync(path);
      assert.equal(text.split(from).length, 2, `"${from}" occurs exactly once in ${file}`);
      Deno.writeTextFileSync(path, text.replace(from, to));
    },
    run,
    spawn: (options = {}) => command(options).spawn(),
    output: (outcome, label, name) => {
      const outputs = runRecord(outcome, label).outputs as Record<string, { id: string }>;
      assert.ok(outputs[name], `"${label}" has no output "${name}"`);
      return withStore((ctx) =>
        new TextDecoder().decode(readVerified(ctx, outputs[name]!.id, "blob"))
      );
    },
    runRecord,
    readRecord,
    close: () => Deno.removeSync(dir, { recursive: true }),
  };
};

/** Runs `f` with a fresh project, removed afterwards. */
export const withProject = async (
  files: Record<string, string>,
  f: (p: TempProject) => Promise<void>,
): Promise<void> => {
  const project = makeProject(files);
  try {
    await f(project);
  } finally {
    project.close();
  }
};
