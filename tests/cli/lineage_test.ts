// `cairn lineage`: the tree back from an artifact, its JSON, and --depth.
import assert from "node:assert/strict";
import type { Lineage } from "../../lib/query/mod.ts";
import { Effect } from "effect";
import { iterate, Json, list, Pipeline, scenario, step } from "../../mod.ts";
import { cairnJson, cairnOk, inStore, runDemo, runOf, short, withTempDir } from "./_fixture.ts";

Deno.test("lineage of the last iteration's output reaches the first iteration's inputs; --depth stops it", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const ran = await runDemo(root, { rate: 1.1, n: 3 });
    const grow0 = runOf(ran, "grow", 0);
    const firstInputs = await inStore(root, (store) => store.readRecord(grow0)).then((r) =>
      Object.values(r.inputs as Record<string, { id: string }>).map((i) => i.id)
    );
    assert.equal(firstInputs.length, 2);
    assert.ok(firstInputs.includes(ran.zones));

    const text = await cairnOk(["lineage", ran.final, "--store", root]);
    const json = await cairnJson<Lineage>(["lineage", ran.final, "--store", root]);
    // Every run of the scenario, down to seed, and both inputs of iteration 0.
    assert.deepEqual(Object.keys(json.runs).sort(), ran.invocations.map((i) => i.run).sort());
    for (const id of firstInputs) assert.ok(json.artifacts[id], `input ${short(id)} reached`);
    assert.equal(json.truncated, false);
    assert.equal(json.artifacts[ran.zones]!.producer, null);
    // The text tells the same: a line per run, the external input, the counts.
    for (const inv of ran.invocations) {
      const at = inv.iteration === null ? inv.step : `${inv.step}@${inv.iteration}`;
      assert.match(text, new RegExp(`${at}  run ${short(inv.run)}  demo`));
    }
    assert.match(
      text,
      new RegExp(`zones  blob ${short(ran.zones)}  text  29 B  \\(external input\\)`),
    );
    const runs = Object.keys(json.runs).length;
    const artifacts = Object.keys(json.artifacts).length;
    assert.match(text, new RegExp(`^${runs} runs, ${artifacts} artifacts$`, "m"));

    const shallow = await cairnJson<Lineage>([
      "lineage",
      ran.final,
      "--depth",
      "1",
      "--store",
      root,
    ]);
    assert.deepEqual(Object.keys(shallow.runs), [runOf(ran, "smooth", 2)]);
    assert.equal(shallow.truncated, true);
    const shallowText = await cairnOk(["lineage", ran.final, "--depth", "1", "--store", root]);
    assert.match(shallowText, /deeper than --depth 1/);
    assert.doesNotMatch(shallowText, new RegExp(short(grow0)));
    assert.match(shallowText, /stopped at --depth 1/);
  });
});

Deno.test("lineage accepts an output name and a scenario as targets", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const ran = await runDemo(root, { rate: 1.1, n: 2 });
    const byName = await cairnJson<Lineage>(["lineage", "x", "--store", root]);
    assert.deepEqual(byName.roots, [ran.final]);
    const byScenario = await cairnJson<Lineage>(["lineage", "demo", "--store", root]);
    assert.equal(byScenario.rootRun, runOf(ran, "smooth", 1));
    assert.deepEqual(Object.keys(byScenario.runs).sort(), Object.keys(byName.runs).sort());
  });
});

// Per iteration: `split` reads the state, `spread` reads split's output, `merge`
// reads spread's output and the state. merge's column continues with the previous
// iteration's merge; spread nests under it with a column of its own (spread, split).
const start = step({ name: "start", outputs: { x: Json }, run: () => ({ x: 1 }) });
const split = step({
  name: "split",
  inputs: { x: Json },
  outputs: { y: Json },
  run: ({ x }) => ({ y: x + 1 }),
});
const spread = step({
  name: "spread",
  inputs: { y: Json },
  outputs: { z: Json },
  run: ({ y }) => ({ z: y * 2 }),
});
const merge = step({
  name: "merge",
  inputs: { z: Json, x: Json },
  outputs: { x: Json },
  run: ({ z, x }) => ({ x: z - x }),
});

const runChain = (root: string, n: number) =>
  Effect.runPromise(
    scenario(
      "chain",
      {},
      Effect.gen(function* () {
        const { x } = yield* start({});
        return yield* iterate({ times: n }, x, (state) =>
          Effect.gen(function* () {
            const { y } = yield* split({ x: state });
            const { z } = yield* spread({ y });
            return (yield* merge({ z, x: state })).x;
          }));
      }),
    ).pipe(Effect.provide(Pipeline.layerDisk({ root }))),
  );

const connectorColumn = (line: string) => line.search(/[├└]─ /);

// What a reader of a tree assumes: after `└─` at a column nothing more hangs off that
// column (the subtree below it is indented with spaces), and `├─` has a sibling
// below it (`├─` or `└─` at the same column, with only `│` or deeper lines between).
const assertTreeDrawnUnambiguously = (lines: readonly string[]) => {
  const connector = connectorColumn;
  lines.forEach((line, i) => {
    const c = connector(line);
    if (c < 0) return;
    let sibling = false;
    for (const below of lines.slice(i + 1)) {
      const d = connector(below);
      if (d >= 0 && d < c) break; // the subtree, and its parent's children, ended
      if (d < 0 && below.trimStart() === below) break; // a line at the left edge (a summary)
      const at = below[c] ?? " ";
      if (line[c] === "└") {
        assert.equal(
          at,
          " ",
          `line ${i + 1} is a last child, but line "${below}" continues its column:\n${
            lines.join("\n")
          }`,
        );
      } else if (d === c) {
        sibling = true;
        break;
      } else {
        assert.equal(at, "│", `line ${i + 1} has a sibling below; "${below}" breaks its column`);
      }
    }
    if (line[c] === "├") {
      assert.ok(sibling, `line ${i + 1} "${line}" says a sibling follows, none does`);
    }
  });
};

Deno.test("lineage draws a column of runs as siblings: only the last is └─, and nothing hangs off a └─", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    await runDemo(root, { rate: 1.1, n: 3 });
    for (const target of ["demo", "x"]) {
      const text = await cairnOk(["lineage", target, "--store", root]);
      const lines = text.trimEnd().split("\n").slice(0, -1); // the last line is the summary
      assertTreeDrawnUnambiguously(lines);
      // The column still reads top to bottom, newest iteration first.
      const column = lines.filter((l) => /^[├└]─ /.test(l)).map((l) => l.slice(3).split("  ")[0]);
      assert.deepEqual(column, ["smooth@2", "grow@2", "smooth@1", "grow@1", "smooth@0", "grow@0"]);
    }
  });
});

Deno.test("lineage draws a column nested under an input with │ beside it, not a second └─", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    await runChain(root, 3);
    const text = await cairnOk(["lineage", "chain", "--store", root]);
    const lines = text.trimEnd().split("\n").slice(0, -1);
    assertTreeDrawnUnambiguously(lines);
    // spread@2 nests under merge@2's input z, and split@2 continues spread's column.
    const spread2 = lines.findIndex((l) => /[├└]─ spread@2 /.test(l));
    const split2 = lines.findIndex((l) => /[├└]─ split@2 /.test(l));
    assert.ok(spread2 > 0 && split2 > spread2, text);
    assert.equal(connectorColumn(lines[spread2]!), connectorColumn(lines[split2]!), text);
    assert.ok(connectorColumn(lines[spread2]!) > 0, text);
  });
});

Deno.test("lineage names each element of a list input by its place, above the run that made it", async () => {
  const emit = step({
    name: "emit",
    outputs: { word: Json },
    run: (_, __, ctx) => ({ word: `w${ctx.iteration}` }),
  });
  const join = step({
    name: "join",
    inputs: { words: list(Json) },
    outputs: { text: Json },
    run: ({ words }) => ({ text: words.join(" ") }),
  });
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    await Effect.runPromise(
      scenario(
        "listed",
        {},
        Effect.gen(function* () {
          const words = yield* iterate(
            { times: 3 },
            [] as { readonly id: string }[],
            (acc) => Effect.map(emit({}), ({ word }) => [...acc, word]),
          );
          return yield* join({ words: words as never });
        }),
      ).pipe(Effect.provide(Pipeline.layerDisk({ root }))),
    );
    const text = await cairnOk(["lineage", "text", "--store", root]);
    const lines = text.split("\n");
    for (const i of [0, 1, 2]) {
      const at = lines.findIndex((l) => new RegExp(`words\\[${i}\\]  blob`).test(l));
      assert.ok(at >= 0, `words[${i}] is named by its place:\n${text}`);
      assert.match(lines[at + 1]!, new RegExp(`emit@${i}  run`), text);
    }
  });
});
