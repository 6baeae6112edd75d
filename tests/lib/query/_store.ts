// A store made by a real pipeline, shared by the query tests of one file.
//
//   zones.csv (external) ─┐
//   seed ─ x ─ scale(beta) ─ y ─ grow@0 ─ y ─ grow@1 ─ y ─ report ─ summary, out/ (a tree)
//          └─ label ─ label
//
// Scenario "base" (beta 2) runs twice — the second time all hits, so its history
// has two records — and "policy" (beta 3) once: seed and label reuse base's runs,
// everything downstream of scale differs.
import { Effect } from "effect";
import {
  Dir,
  File,
  input,
  iterate,
  Json,
  ObjectStore,
  Pipeline,
  scenario,
  step,
  Text,
} from "../../../mod.ts";
import { type LineageView, loadLineageView, scenarioHistory } from "../../../lib/query/mod.ts";

Deno.env.set("CAIRN_PROGRESS", "0");

const seed = step({ name: "seed", outputs: { x: Json }, run: () => ({ x: 3 }) });

const label = step({
  name: "label",
  inputs: { x: Json },
  outputs: { label: Text },
  run: ({ x }) => ({ label: `x is ${x}` }),
});

const scale = (beta: number) =>
  step({
    name: "scale",
    inputs: { x: Json },
    outputs: { y: Json },
    config: { beta },
    run: ({ x }, config) => ({ y: x * config.beta }),
  });

const grow = step({
  name: "grow",
  inputs: { y: Json, zones: File },
  outputs: { y: Json },
  run: ({ y, zones }, _config, ctx) => ({
    y: y * 10 + Deno.readTextFileSync(zones).split("\n").length + (ctx.iteration ?? 0),
  }),
});

const report = step({
  name: "report",
  inputs: { y: Json },
  outputs: { summary: Text, out: Dir },
  run: ({ y }, _config, ctx) => {
    Deno.mkdirSync(`${ctx.outDir}/out/sub`, { recursive: true });
    Deno.writeTextFileSync(`${ctx.outDir}/out/value.txt`, `${y}\n`);
    Deno.writeTextFileSync(`${ctx.outDir}/out/sub/twice.txt`, `${y * 2}\n`);
    return { summary: `y = ${y}` };
  },
});

/** The scenarios the store holds: name → beta. */
export const BETAS = { base: 2, policy: 3 } as const;

const program = (name: keyof typeof BETAS, zonesPath: string) =>
  scenario(
    name,
    {
      config: { mode: { beta: BETAS[name] }, n: 2 },
      tags: [name === "base" ? "baseline" : "policy"],
      facets: ["mode.beta", "n"],
    },
    Effect.gen(function* () {
      const zones = yield* input.file(zonesPath);
      const { x } = yield* seed({});
      yield* label({ x });
      const { y } = yield* scale(BETAS[name])({ x });
      const final = yield* iterate(
        { times: 2 },
        y,
        (state) => grow({ y: state, zones }).pipe(Effect.map((o) => o.y)),
      );
      yield* report({ y: final });
    }),
  );

/** A temp dir with a store at `root` and the external input `zones`. */
export interface TestStore {
  readonly dir: string;
  readonly root: string;
  readonly zones: string;
}

let built: Promise<TestStore> | undefined;

/** Builds the store once per test file (base, base again, policy); removed when the process ends. */
export const testStore = (): Promise<TestStore> =>
  built ??= (async () => {
    const dir = Deno.makeTempDirSync({ prefix: "cairn-queries-" });
    globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
    const root = `${dir}/store`;
    const zones = `${dir}/zones.csv`;
    Deno.writeTextFileSync(zones, "zone,pop\n1,10\n2,20\n");
    for (const name of ["base", "base", "policy"] as const) {
      await Effect.runPromise(
        program(name, zones).pipe(Effect.provide(Pipeline.layerDisk({ root }))),
      );
    }
    return { dir, root, zones };
  })();

/** Runs a query against the store at `root`. */
export const query = <A, E>(root: string, effect: Effect.Effect<A, E, ObjectStore>): Promise<A> =>
  Effect.runPromise(effect.pipe(Effect.provide(ObjectStore.layer({ root }))));

/** The lineage view of the store at `root`. */
export const viewOf = (root: string): Promise<LineageView> => query(root, loadLineageView);

/** A record of the store at `root`. */
export const recordOf = (root: string, id: string): Promise<Record<string, unknown>> =>
  query(
    root,
    Effect.gen(function* () {
      return yield* (yield* ObjectStore).readRecord(id);
    }),
  );

/** The runs of the newest record of scenario `name`, by `step` or `step@iteration`. */
export const runsOf = async (root: string, name: string): Promise<Record<string, string>> => {
  const [newest] = await query(root, scenarioHistory(name, 1));
  return Object.fromEntries(
    newest!.invocations.map((
      i,
    ) => [i.iteration === null ? i.step : `${i.step}@${i.iteration}`, i.run!]),
  );
};
