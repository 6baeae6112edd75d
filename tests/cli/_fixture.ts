// A small real pipeline for the CLI tests, run in-process over a temp store, and a
// runner for the CLI as a subprocess, through `cli/launch.ts` as `deno task cairn`
// runs it (from the bundle; `launch_test.ts` compares it with `cli/main.ts`).
//
// Scenario "demo": `seed` makes x; then, per iteration, `grow` reads x and the
// external input `zones.csv` (shared by every iteration) with config `{ rate }`,
// and `smooth` turns its output into the next x.
import assert from "node:assert/strict";
import { Effect } from "effect";
import {
  input,
  iterate,
  Json,
  ObjectStore,
  type ObjectStoreApi,
  Pipeline,
  type Progress,
  read,
  scenario,
  step,
  Text,
} from "../../mod.ts";
import { fromFileUrl } from "../../lib/identity/paths.ts";

Deno.env.set("CAIRN_PROGRESS", "0");

/** Absolute path of the CLI launcher the tasks run. */
export const CLI = fromFileUrl(new URL("../../cli/launch.ts", import.meta.url).href);

const seed = step({ name: "seed", outputs: { x: Json }, run: () => ({ x: 1 }) });

// One declaration site for every rate: only `config.rate` differs between them.
const grow = (rate: number) =>
  step({
    name: "grow",
    inputs: { x: Json, zones: Text },
    outputs: { y: Json },
    config: { rate },
    run: ({ x, zones }, config, ctx) => ({
      y: Math.round((x * config.rate + zones.length + (ctx.iteration ?? 0)) * 1000) / 1000,
    }),
  });

const smooth = step({
  name: "smooth",
  inputs: { y: Json },
  outputs: { x: Json },
  run: ({ y }) => ({ x: Math.round(y * 500) / 1000 }),
});

/** One invocation as the scenario record lists it. */
export interface Invocation {
  readonly step: string;
  readonly iteration: number | null;
  readonly run: string;
  readonly hit: boolean;
}

/** What a pipeline run left behind. */
export interface Ran {
  readonly final: string;
  readonly zones: string;
  readonly record: string;
  readonly invocations: readonly Invocation[];
}

/** Runs scenario `name` with `n` iterations at `rate` over the store at `root`. */
export const runDemo = (
  root: string,
  options: {
    readonly rate: number;
    readonly n: number;
    readonly name?: string;
    /** A remote cache for the run, and where its lines go. */
    readonly remote?: string;
    readonly log?: (line: string) => void;
    /** Decode the final artifact at the end (as a script that prints it would). */
    readonly readFinal?: boolean;
  },
): Promise<Ran> => {
  const name = options.name ?? "demo";
  const zonesPath = `${root}.zones.csv`;
  try {
    Deno.statSync(zonesPath);
  } catch {
    Deno.writeTextFileSync(zonesPath, "zone,population\n1,1200\n2,800\n");
  }
  const g = grow(options.rate);
  return Effect.runPromise(
    Effect.gen(function* () {
      let zonesId = "";
      const final = yield* scenario(
        name,
        { config: { rate: options.rate, n: options.n }, tags: ["test"], facets: ["rate"] },
        Effect.gen(function* () {
          const zones = yield* input.file(zonesPath, Text);
          zonesId = zones.id;
          const { x } = yield* seed({});
          return yield* iterate({ times: options.n }, x, (state) =>
            Effect.gen(function* () {
              const { y } = yield* g({ x: state, zones });
              return (yield* smooth({ y })).x;
            }));
        }),
      );
      if (options.readFinal) yield* read(final);
      const { store } = yield* Pipeline;
      const record = (yield* store.readRef(`scenarios/${name}`))!;
      const invocations = (yield* store.readRecord(record)).invocations as unknown as Invocation[];
      return { final: final.id, zones: zonesId, record, invocations };
    }).pipe(
      Effect.provide(
        Pipeline.layerDisk({
          root,
          ...(options.remote ? { remote: options.remote } : {}),
          ...(options.log ? { progress: logTo(options.log) } : {}),
        }),
      ),
    ),
  );
};

// Progress that only passes on the log lines (warnings, the remote's closing line).
const logTo = (log: (line: string) => void): Progress => ({
  stepStarted: () => {},
  stepFinished: () => {},
  iterationFinished: () => {},
  scenarioFinished: () => {},
  log,
});

/** A fresh temp directory for one test; removed afterwards. */
export const withTempDir = async (f: (dir: string) => Promise<void>): Promise<void> => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-cli-" });
  try {
    await f(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
};

/** What a CLI process printed and how it exited. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `cairn <args>` as a subprocess, without colour. */
export const cairn = async (args: readonly string[]): Promise<CliResult> => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-config", CLI, ...args],
    env: { NO_COLOR: "1", CAIRN_PROGRESS: "0" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
};

/**
 * Asserts that `result` is a question that cannot be answered as asked: exit 2, no
 * stdout, and one line `error: ...` on stderr matching `pattern`, without a stack.
 */
export const assertOneErrorLine = (result: CliResult, pattern: RegExp): void => {
  const lines = result.stderr.trim().split("\n");
  assert.equal(result.code, 2, `exit 2, got ${result.code}:\n${result.stderr}${result.stdout}`);
  assert.equal(result.stdout, "", "nothing on stdout");
  assert.equal(lines.length, 1, `one line, got:\n${result.stderr}`);
  assert.match(lines[0]!, /^error: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(result.stderr, /\bat .*\.ts:\d+/, "no stack trace");
};

/** Runs `cairn <args>`, expecting success; returns stdout. */
export const cairnOk = async (args: readonly string[]): Promise<string> => {
  const result = await cairn(args);
  if (result.code !== 0) {
    throw new Error(`cairn ${args.join(" ")} exited ${result.code}:\n${result.stderr}`);
  }
  return result.stdout;
};

/** Runs `cairn <args> --json`, expecting success; returns the parsed JSON. */
export const cairnJson = async <T = unknown>(args: readonly string[]): Promise<T> =>
  JSON.parse(await cairnOk([...args, "--json"])) as T;

/** Runs `f` against the store at `root` in this process. */
export const inStore = <A>(
  root: string,
  f: (store: ObjectStoreApi) => Effect.Effect<A, unknown>,
): Promise<A> =>
  Effect.runPromise(
    Effect.gen(function* () {
      return yield* f(yield* ObjectStore);
    }).pipe(Effect.provide(ObjectStore.layer({ root, create: false }))),
  );

/** The run of `step@iteration` in `ran`. */
export const runOf = (ran: Ran, step: string, iteration: number | null): string => {
  const found = ran.invocations.find((i) => i.step === step && i.iteration === iteration);
  if (!found) throw new Error(`no invocation ${step}@${iteration}`);
  return found.run;
};

/** The first 12 characters of an id, as the CLI prints them. */
export const short = (id: string): string => id.slice(0, 12);
