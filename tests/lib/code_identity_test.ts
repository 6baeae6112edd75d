import assert from "node:assert/strict";
import { callSiteOf, codeIdentity } from "../../lib/code_identity.ts";

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
  assert.deepEqual(ids.a!.units, ["helpers.ts", "npm:effect@4.1.0", "pipe.ts#run:L7"]);
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
