import assert from "node:assert/strict";
import { Graphviz } from "@hpcc-js/wasm-graphviz";
import { graphOf, type Lineage, lineage, QueryError } from "../../../lib/query/mod.ts";
import { query, runsOf, testStore, viewOf } from "./_store.ts";

// The lineage of policy's summary: report ← grow@1 ← grow@0 ← scale ← seed, and zones.
const policyLineage = async (): Promise<Lineage> => {
  const { root } = await testStore();
  return await query(root, lineage("policy:summary", await viewOf(root)));
};

const label = (l: Lineage, run: string) => {
  const r = l.runs[run]!;
  return r.iteration === null ? r.step : `${r.step}@${r.iteration}`;
};

/** Every input and output edge of the lineage, as [from, to] node names. */
const edgesOf = (l: Lineage): string[][] => {
  const edges = new Set<string>();
  for (const run of Object.values(l.runs)) {
    for (const input of Object.values(run.inputs)) {
      if (input) edges.add(JSON.stringify([`artifact:${input}`, `run:${run.id}`]));
    }
    for (const output of Object.values(run.outputs)) {
      if (l.artifacts[output]) edges.add(JSON.stringify([`run:${run.id}`, `artifact:${output}`]));
    }
  }
  return [...edges].map((e) => JSON.parse(e)).sort();
};

Deno.test("graphOf(dot) draws every run and artifact of the lineage and every edge, as Graphviz reads it", async () => {
  const { root } = await testStore();
  const runs = await runsOf(root, "policy");
  const l = await policyLineage();
  assert.deepEqual(
    Object.keys(l.runs).sort(),
    [runs.seed, runs.scale, runs["grow@0"], runs["grow@1"], runs.report].sort(),
  );
  const dot = await graphOf(l, "dot");
  assert.match(dot, /^digraph lineage \{\n/);
  const parsed = JSON.parse((await Graphviz.load()).dot(dot, "json")) as {
    objects: { name: string; label: string; shape: string; style?: string }[];
    edges: { tail: number; head: number }[];
  };
  const nodes = new Map(parsed.objects.map((o) => [o.name, o]));
  assert.equal(nodes.size, Object.keys(l.runs).length + Object.keys(l.artifacts).length);
  for (const run of Object.keys(l.runs)) {
    const node = nodes.get(`run:${run}`);
    assert.deepEqual([node?.shape, node?.label], ["box", label(l, run)]);
  }
  for (const a of Object.values(l.artifacts)) {
    const node = nodes.get(`artifact:${a.id}`);
    assert.deepEqual([node?.shape, node?.label], ["ellipse", `${a.name}\\n${a.id.slice(0, 12)}`]);
    assert.equal(node?.style === "dashed", a.producer === null, `${a.name} dashed iff external`);
  }
  // 6 input edges (each grow reads two), 5 output edges (report's `out` is not in the lineage).
  const edges = parsed.edges.map((
    e,
  ) => [parsed.objects[e.tail]!.name, parsed.objects[e.head]!.name]);
  assert.equal(edges.length, 11);
  assert.deepEqual(edges.sort(), edgesOf(l));
});

Deno.test("graphOf(mermaid) writes a flowchart with a node per run and artifact and every edge", async () => {
  const l = await policyLineage();
  const text = await graphOf(l, "mermaid");
  const lines = text.trimEnd().split("\n");
  assert.equal(lines[0], "flowchart LR");
  const boxes = lines.filter((line) => /^ {2}r\d+\["[^"]*"\]$/.test(line));
  const ellipses = lines.filter((line) => /^ {2}a\d+\(\["[^"]*"\]\)$/.test(line));
  assert.deepEqual(
    boxes.map((b) => b.slice(b.indexOf('"') + 1, -2)).sort(),
    Object.keys(l.runs).map((r) => label(l, r)).sort(),
  );
  assert.equal(ellipses.length, Object.keys(l.artifacts).length);
  for (const a of Object.values(l.artifacts)) {
    assert.ok(text.includes(`"${a.name}<br/>${a.id.slice(0, 12)}"`), a.name);
  }
  assert.equal(lines.filter((line) => / --> /.test(line)).length, edgesOf(l).length);
  assert.match(text, /class a\d+ external/, "the external input is marked");
});

Deno.test("graphOf(svg) renders SVG naming every run", async () => {
  const l = await policyLineage();
  const svg = await graphOf(l, "svg");
  assert.ok(svg.startsWith("<svg") || svg.startsWith("<?xml"), svg.slice(0, 40));
  assert.ok(svg.trimEnd().endsWith("</svg>"));
  for (const run of Object.keys(l.runs)) assert.ok(svg.includes(`>${label(l, run)}</text>`));
  for (const a of Object.values(l.artifacts)) {
    assert.ok(svg.includes(`>${a.id.slice(0, 12)}</text>`));
  }
});

// A hand-made lineage whose names need escaping in every format.
const awkward: Lineage = {
  roots: ["b".repeat(64)],
  rootRun: null,
  depth: null,
  truncated: false,
  runs: {
    ["a".repeat(64)]: {
      id: "a".repeat(64),
      step: 'st"ep',
      iteration: 2,
      scenario: null,
      durationMs: 1,
      startedAt: "2024-01-01T00:00:00.000Z",
      inputs: {},
      outputs: { o: "b".repeat(64) },
    },
  },
  artifacts: {
    ["b".repeat(64)]: {
      id: "b".repeat(64),
      name: 'a "q" \\ b<c>#1\nz',
      kind: "blob",
      codec: "json",
      size: 1,
      producer: "a".repeat(64),
      producers: 1,
    },
  },
};

Deno.test("graphOf() escapes quotes, backslashes, newlines and markup in labels", async () => {
  const dot = await graphOf(awkward, "dot");
  assert.ok(dot.includes('label="st\\"ep@2"'), dot);
  assert.ok(dot.includes('label="a \\"q\\" \\\\ b<c>#1\\nz\\nbbbbbbbbbbbb"'), dot);
  const svg = await graphOf(awkward, "svg");
  assert.ok(svg.includes(">st&quot;ep@2</text>"));
  assert.ok(
    svg.includes(">a &quot;q&quot; \\ b&lt;c&gt;#1</text>"),
    "one backslash, markup escaped",
  );
  const mermaid = await graphOf(awkward, "mermaid");
  assert.ok(mermaid.includes('r0["st#quot;ep@2"]'), mermaid);
  assert.ok(
    mermaid.includes('a1(["a #quot;q#quot; \\ b#lt;c#gt;#35;1<br/>z<br/>bbbbbbbbbbbb"])'),
    mermaid,
  );
  assert.ok(mermaid.includes("r0 --> a1"));
});

Deno.test("graphOf() rejects an unknown format with QueryError", async () => {
  await assert.rejects(
    () => graphOf(awkward, "png" as "dot"),
    (e) => e instanceof QueryError && /^Cannot draw a graph as "png"/.test(e.message),
  );
});
