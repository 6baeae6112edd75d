// The public API's examples: every function `mod.ts` exports (and its codecs and
// services) has an `@example` that asserts what it shows, written as a user would
// write it (importing "cairn"), and every one of them — and those of the queries'
// entry point, `cairn/query` — runs and passes.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

interface DocSymbol {
  readonly name: string;
  readonly declarations: readonly {
    readonly kind: string;
    readonly location: { readonly filename: string };
    readonly jsDoc?: {
      readonly tags?: readonly { readonly kind: string; readonly doc?: string }[];
    };
  }[];
}

const publicSymbols = async (entry = "mod.ts"): Promise<DocSymbol[]> => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).output();
  const doc = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    nodes: Record<string, { symbols?: DocSymbol[] }>;
  };
  return Object.values(doc.nodes).flatMap((n) => n.symbols ?? []);
};

// The codecs and services a pipeline author uses besides the functions.
const ALSO = new Set([
  "Json",
  "Text",
  "Table",
  "File",
  "Dir",
  "Pipeline",
  "ObjectStore",
  "Executor",
]);

Deno.test('every public function (and codec and service) has an @example that asserts and imports "cairn"', async () => {
  const missing: string[] = [];
  for (const symbol of await publicSymbols()) {
    for (const decl of symbol.declarations) {
      if (decl.kind !== "function" && !ALSO.has(symbol.name)) continue;
      const examples = (decl.jsDoc?.tags ?? []).filter((t) => t.kind === "example");
      const good = examples.some((e) =>
        /assert/.test(e.doc ?? "") && /from "cairn"/.test(e.doc ?? "")
      );
      if (!good) {
        missing.push(`${symbol.name} (${decl.location.filename.replace(`file://${ROOT}`, "")})`);
      }
    }
  }
  assert.deepEqual([...new Set(missing)].sort(), []);
});

Deno.test("the public API's examples run and pass", async () => {
  const files = new Set<string>(["mod.ts"]);
  const symbols = [...await publicSymbols(), ...await publicSymbols("lib/query/mod.ts")];
  for (const symbol of symbols) {
    for (const decl of symbol.declarations) {
      const file = decl.location.filename.replace(`file://${ROOT}`, "");
      if ((decl.jsDoc?.tags ?? []).some((t) => t.kind === "example")) files.add(file);
    }
  }
  // A fresh working directory: examples must not write into the checkout.
  const cwd = Deno.makeTempDirSync({ prefix: "cairn-doc-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "test",
        "-A",
        "--doc",
        "--config",
        `${ROOT}deno.json`,
        ...[...files].map((f) => `${ROOT}${f}`),
      ],
      cwd,
      env: { CAIRN_PROGRESS: "0", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, text.slice(-4000));
    assert.match(text, /\d+ passed \| 0 failed/);
    assert.deepEqual(
      [...Deno.readDirSync(cwd)].map((e) => e.name),
      [],
      "nothing written to the cwd",
    );
  } finally {
    Deno.removeSync(cwd, { recursive: true });
  }
});

Deno.test("every example of the public API imports what a user can write: cairn, cairn/store, effect, node:", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", "mod.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).output();
  const found: string[] = [];
  const walk = (value: unknown, name: string): void => {
    if (Array.isArray(value)) return value.forEach((v) => walk(v, name));
    if (typeof value !== "object" || value === null) return;
    const record = value as Record<string, unknown>;
    const here = typeof record.name === "string" ? record.name : name;
    for (const [key, v] of Object.entries(record)) {
      if (key === "doc" && typeof v === "string") {
        for (const [, spec] of v.matchAll(/from "([^"]+)"/g)) {
          if (!/^(cairn(\/store|\/query)?|effect(\/.*)?|node:.*)$/.test(spec!)) {
            found.push(`${here}: ${spec}`);
          }
        }
      } else walk(v, here);
    }
  };
  walk(JSON.parse(new TextDecoder().decode(out.stdout)), "(module)");
  assert.deepEqual(found, []);
});
