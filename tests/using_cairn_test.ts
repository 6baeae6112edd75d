// Using cairn from another project, as the README says: a deno.json whose imports map
// "cairn" to this checkout's mod.ts and "effect" to effect 4 is all a project needs
// (cairn's own imports resolve through cairn's deno.json); a project that maps "effect"
// to effect 3 gets an error that says what to change, not "Not a valid effect".
import assert from "node:assert/strict";
import { fileURLToPath, pathToFileURL } from "node:url";
import { EFFECT_VERSION } from "../lib/pipeline/effect_version.ts";

const MOD = pathToFileURL(fileURLToPath(new URL("../mod.ts", import.meta.url))).href;
const CONFIG = JSON.parse(
  Deno.readTextFileSync(fileURLToPath(new URL("../deno.json", import.meta.url))),
);

const PIPELINE = `import { Effect } from "effect";
import { Json, run, scenario, step } from "cairn";

const one = step({ name: "one", outputs: { y: Json }, run: () => ({ y: 41 + 1 }) });
if (import.meta.main) await run(scenario("elsewhere", {}, Effect.asVoid(one({}))));
`;

const project = (effect: string) => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-user-" });
  Deno.writeTextFileSync(
    `${dir}/deno.json`,
    JSON.stringify({ imports: { cairn: MOD, effect: `npm:effect@${effect}` } }, null, 2),
  );
  Deno.writeTextFileSync(`${dir}/pipeline.ts`, PIPELINE);
  const run = () =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "pipeline.ts"],
      cwd: dir,
      env: { CAIRN_STORE: `${dir}/.cairn`, CAIRN_PROGRESS: "1", CAIRN_DEBUG: "" },
      stdout: "piped",
      stderr: "piped",
    }).output().then((o) => ({ code: o.code, stderr: new TextDecoder().decode(o.stderr) }));
  return { dir, run };
};

Deno.test("the effect cairn pins is the one the README tells users to map", () => {
  assert.equal(CONFIG.imports.effect, `npm:effect@${EFFECT_VERSION}`);
});

Deno.test("a project whose deno.json maps only cairn and effect 4 runs a pipeline, then hits", async () => {
  const { dir, run } = project(EFFECT_VERSION);
  try {
    const first = await run();
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /\[elsewhere\] ok: 0 hits, 1 misses/);
    const second = await run();
    assert.match(second.stderr, /\[elsewhere\] ok: 1 hits, 0 misses/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a project that maps effect 3 is told to map effect 4", async () => {
  const { dir, run } = project("3.19.0");
  try {
    const out = await run();
    assert.notEqual(out.code, 0);
    assert.match(
      out.stderr,
      /is an Effect of another version of the effect package \(effect 3\?\), and cairn needs effect 4: map "effect" to "npm:effect@4\.1\.0"/,
    );
    assert.doesNotMatch(out.stderr, /Not a valid effect/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
