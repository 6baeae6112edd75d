import assert from "node:assert/strict";
import { callSiteOf, codeIdentity, declareCode } from "../../../lib/identity/code_identity.ts";

const project = (files: Record<string, string>) => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-identity-" });
  Deno.writeTextFileSync(
    `${dir}/deno.json`,
    JSON.stringify({ imports: { effect: "npm:effect@4.1.0" } }),
  );
  for (const [name, text] of Object.entries(files)) Deno.writeTextFileSync(`${dir}/${name}`, text);
  return dir;
};

const PIPE = `import { Effect } from "effect"
import { scale } from "./helpers.ts"
interface Cfg { rate: number }
const K = 10
function helperB(x: number): number { return x + K }
declare const step: (o: unknown) => unknown
const a = step({ name: "a", run: (x: number, c: Cfg) => Effect.succeed(scale(x) * c.rate) })
const b = step({ name: "b", run: (x: number) => helperB(x) })
const c = step({ name: "c", run: (x: number) => { const K = 2; return x + K } })
const d = step({ name: "d", run: helperB })
`;

// Identities are cached per path in-process, so each variant gets its own directory.
const identities = async (files: Record<string, string>) => {
  const dir = project(files);
  try {
    const out: Record<string, { identity: string; units: string[] }> = {};
    for (const [name, line] of [["a", 7], ["b", 8], ["c", 9], ["d", 10]] as const) {
      const id = await codeIdentity({ file: `${dir}/pipe.ts`, line, column: 11 });
      out[name] = { identity: id.identity, units: Object.keys(id.units).sort() };
    }
    return out;
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
};

const HELPERS = "export const scale = (x: number) => x * 3\n";

Deno.test("codeIdentity() follows exactly what each step's run references", async () => {
  const ids = await identities({ "pipe.ts": PIPE, "helpers.ts": HELPERS });
  assert.deepEqual(ids.a!.units, ["helpers.ts#scale", "npm:effect@4.1.0", "pipe.ts#run:L7"]);
  assert.deepEqual(ids.b!.units, ["pipe.ts#K", "pipe.ts#helperB", "pipe.ts#run:L8"]);
  assert.deepEqual(ids.c!.units, ["pipe.ts#run:L9"], "a local K shadows the module-level K");
  assert.deepEqual(ids.d!.units, ["pipe.ts#K", "pipe.ts#helperB"]);
});

Deno.test("codeIdentity(): editing one step's body changes only that step", async () => {
  const before = await identities({ "pipe.ts": PIPE, "helpers.ts": HELPERS });
  const after = await identities({
    "pipe.ts": PIPE.replace("const K = 2; return x + K }", "const K = 2; return x + K + 1 }"),
    "helpers.ts": HELPERS,
  });
  assert.notEqual(after.c!.identity, before.c!.identity);
  for (const s of ["a", "b", "d"]) assert.equal(after[s]!.identity, before[s]!.identity, s);
});

Deno.test("codeIdentity(): editing a module-level helper changes the steps that use it", async () => {
  const before = await identities({ "pipe.ts": PIPE, "helpers.ts": HELPERS });
  const after = await identities({
    "pipe.ts": PIPE.replace("const K = 10", "const K = 11"),
    "helpers.ts": HELPERS,
  });
  assert.notEqual(after.b!.identity, before.b!.identity);
  assert.notEqual(after.d!.identity, before.d!.identity);
  assert.equal(after.a!.identity, before.a!.identity);
  assert.equal(after.c!.identity, before.c!.identity);
});

Deno.test("codeIdentity(): editing an imported module changes only its importers; types and comments change nothing", async () => {
  const before = await identities({ "pipe.ts": PIPE, "helpers.ts": HELPERS });
  const edited = await identities({
    "pipe.ts": PIPE,
    "helpers.ts": HELPERS.replace("x * 3", "x * 4"),
  });
  assert.notEqual(edited.a!.identity, before.a!.identity);
  for (const s of ["b", "c", "d"]) assert.equal(edited[s]!.identity, before[s]!.identity, s);
  const typed = await identities({
    "pipe.ts": PIPE.replace(
      "interface Cfg { rate: number }",
      "interface Cfg { rate: number; extra?: string } // types",
    ),
    "helpers.ts": HELPERS,
  });
  for (const s of ["a", "b", "c", "d"]) assert.equal(typed[s]!.identity, before[s]!.identity, s);
});

Deno.test("codeIdentity() with version ignores the code", async () => {
  const one = await codeIdentity({ file: "/nonexistent.ts", line: 1, column: 1 }, {
    version: "v1",
  });
  const two = await codeIdentity({ file: "/other.ts", line: 9, column: 9 }, { version: "v1" });
  assert.equal(one.identity, two.identity);
  assert.equal(one.mode, "version");
});

Deno.test("codeIdentity() with code: module covers the whole module closure", async () => {
  const dir = project({ "pipe.ts": PIPE, "helpers.ts": HELPERS });
  try {
    const id = await codeIdentity({ file: `${dir}/pipe.ts`, line: 9, column: 11 }, {
      code: "module",
    });
    assert.equal(id.mode, "module");
    assert.deepEqual(Object.keys(id.units).sort(), ["helpers.ts", "npm:effect@4.1.0", "pipe.ts"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("callSiteOf() skips frames inside the library", () => {
  const stack = [
    "Error",
    "    at step (file:///proj/lib/step.ts:10:5)",
    "    at file:///proj/examples/model.ts:42:17",
  ].join("\n");
  assert.deepEqual(callSiteOf(stack, "/proj/lib"), {
    file: "/proj/examples/model.ts",
    line: 42,
    column: 17,
  });
});

// A project of several modules; `declare(files, file, line)` gives the declared code of
// the step whose call is on that line (each call gets a fresh directory: sources are
// read once per process and path).
const declare = (files: Record<string, string>, file: string, line: number) => {
  const dir = project(files);
  // The column a stack trace gives: where the callee `step` starts.
  const column = files[file]!.split("\n")[line - 1]!.indexOf("step(") + 1;
  try {
    const declared = declareCode({ file: `${dir}/${file}`, line, column });
    return {
      ...declared,
      files: declared.files.map((f) => f.slice(dir.length + 1)).sort(),
      units: Object.keys(declared.identity.units).sort(),
    };
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
};

const MODEL = `/** Links of the network. */
export const loadLinks = (n: number): number[] => Array.from({ length: n }, (_, i) => i * SCALE);
const SCALE = 2;
export function bpr(t0: number, v: number, c: number): number {
  return t0 * (1 + 0.15 * (v / c) ** 4);
}
export const unused = () => "never referenced";
`;

const STEPS = `import { bpr, loadLinks } from "./model.ts";
import * as model from "./model.ts";
declare const step: (o: unknown) => unknown;
export const links = step({ run: () => loadLinks(3) });
export const times = step({ run: () => bpr(1, 2, 3) });
export const viaNamespace = step({ run: () => model.bpr(1, 1, 1) });
`;

Deno.test("declareCode(): an identifier imported from a local module brings only the declaration it names", () => {
  const files = { "model.ts": MODEL, "steps.ts": STEPS };
  assert.deepEqual(declare(files, "steps.ts", 4).units, [
    "model.ts#SCALE",
    "model.ts#loadLinks",
    "steps.ts#run:L4",
  ]);
  assert.deepEqual(declare(files, "steps.ts", 5).units, ["model.ts#bpr", "steps.ts#run:L5"]);
  assert.deepEqual(
    declare(files, "steps.ts", 6).units,
    ["model.ts#bpr", "steps.ts#run:L6"],
    "a namespace used as model.bpr resolves like a named import",
  );
  assert.deepEqual(declare(files, "steps.ts", 4).files, ["model.ts", "steps.ts"]);
});

Deno.test("declareCode(): editing one helper changes only the steps that reach it; comments and formatting change none", () => {
  const base = { "model.ts": MODEL, "steps.ts": STEPS };
  const id = (files: Record<string, string>, line: number) =>
    declare(files, "steps.ts", line).identity.identity;
  const edited = { ...base, "model.ts": MODEL.replace("0.15 *", "0.2 *") };
  assert.equal(id(edited, 4), id(base, 4), "links does not use bpr");
  assert.notEqual(id(edited, 5), id(base, 5));
  assert.notEqual(id(edited, 6), id(base, 6));
  const reformatted = {
    ...base,
    "model.ts": MODEL.replace("/** Links of the network. */", "// The links.\n// Two lines.")
      .replace(
        "return t0 * (1 + 0.15 * (v / c) ** 4);",
        "return (t0 * (1 + (0.15 * ((v / c) ** 4))));",
      )
      .replace('"never referenced"', "'never referenced'"),
  };
  for (const line of [4, 5, 6]) assert.equal(id(reformatted, line), id(base, line), `line ${line}`);
});

Deno.test("declareCode(): re-exports are followed to the declaring module", () => {
  const files = {
    "model.ts": MODEL,
    "barrel.ts": `export { bpr as congestion } from "./model.ts";\nexport * from "./more.ts";\n`,
    "more.ts": `export { loadLinks } from "./model.ts";\nexport const other = 1;\n`,
    "steps.ts": `import { congestion, loadLinks } from "./barrel.ts";
declare const step: (o: unknown) => unknown;
export const a = step({ run: () => congestion(1, 2, 3) });
export const b = step({ run: () => loadLinks(2) });
`,
  };
  assert.deepEqual(declare(files, "steps.ts", 3).units, ["model.ts#bpr", "steps.ts#run:L3"]);
  assert.deepEqual(declare(files, "steps.ts", 4).units, [
    "model.ts#SCALE",
    "model.ts#loadLinks",
    "steps.ts#run:L4",
  ]);
  assert.deepEqual(declare(files, "steps.ts", 4).fallbacks, []);
});

Deno.test("declareCode(): where it cannot tell, the whole module counts, and the fallback says why", () => {
  const step = "declare const step: (o: unknown) => unknown;\n";
  const cases: [string, Record<string, string>, RegExp][] = [
    [
      "a namespace used as a value",
      {
        "steps.ts":
          `import * as m from "./model.ts";\n${step}step({ run: () => Object.keys(m) });\n`,
      },
      /namespace import "m" is used as a value/,
    ],
    [
      "a side-effect import",
      {
        "setup.ts": "globalThis.FACTOR = 3;\n",
        "steps.ts":
          `import "./setup.ts";\nimport { bpr } from "./model.ts";\n${step}step({ run: () => bpr(1, 1, 1) });\n`,
      },
      /side-effect import ".\/setup.ts"/,
    ],
    [
      "an import()",
      {
        "steps.ts":
          `${step}step({ run: async () => (await import("./model.ts")).bpr(1, 1, 1) });\n`,
      },
      /import\(".\/model.ts"\)/,
    ],
    [
      "a name no export provides",
      {
        "steps.ts": `import { nothing } from "./model.ts";\n${step}step({ run: () => nothing });\n`,
      },
      /"nothing" is not among its exports/,
    ],
  ];
  for (const [what, files, reason] of cases) {
    const line = files["steps.ts"]!.split("\n").findIndex((l) => l.startsWith("step(")) + 1;
    const declared = declare({ "model.ts": MODEL, ...files }, "steps.ts", line);
    assert.ok(declared.units.includes("model.ts") || declared.units.includes("setup.ts"), what);
    assert.ok(
      declared.fallbacks.some((f) => reason.test(f.reason)),
      `${what}: ${JSON.stringify(declared.fallbacks)}`,
    );
  }
});

Deno.test("declareCode(): a top-level statement that touches a used declaration counts", () => {
  const files = {
    "table.ts": `export const FACTORS = new Map<string, number>();\nFACTORS.set("car", 1.5);\n`,
    "steps.ts": `import { FACTORS } from "./table.ts";
declare const step: (o: unknown) => unknown;
step({ run: () => FACTORS.get("car") });
`,
  };
  const before = declare(files, "steps.ts", 3).identity.identity;
  const after = declare(
    { ...files, "table.ts": files["table.ts"].replace("1.5", "2.5") },
    "steps.ts",
    3,
  ).identity.identity;
  assert.notEqual(after, before, "the FACTORS.set(...) line is part of what the step computes");
});

Deno.test("declareCode(): a run that reads a binding of an enclosing function is a capture", () => {
  const files = {
    "steps.ts": `declare const step: (o: unknown) => unknown;
const K = 1;
export const factory = (f: number) => {
  const g = f + 1;
  return step({ run: () => f * g * K });
};
export const fine = (f: number) => step({ config: { f }, run: (_: unknown, c: { f: number }) => c.f * K });
`,
  };
  assert.deepEqual(declare(files, "steps.ts", 5).captures, ["f", "g"]);
  assert.deepEqual(declare(files, "steps.ts", 7).captures, []);
});
