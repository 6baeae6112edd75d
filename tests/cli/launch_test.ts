// The launcher behind `deno task cairn`: it runs the CLI from a bundle that is
// rebuilt when a source changes, and behaves exactly as `deno run cli/main.ts`.
import assert from "node:assert/strict";
import { BUNDLE_DIR, ensureBundle, sourceFingerprint } from "../../cli/_bundle.ts";
import { fromFileUrl } from "../../lib/identity/paths.ts";
import { withTempDir } from "./_fixture.ts";

const ROOT = fromFileUrl(new URL("../..", import.meta.url).href).replace(/\/$/, "");

const run = async (entry: string, args: readonly string[], env: Record<string, string> = {}) => {
  const out = await new Deno.Command(Deno.execPath(), {
    // As the tasks run them: the launcher without the project's config.
    args: [
      "run",
      "-A",
      ...(entry === "launch.ts" ? ["--no-config"] : []),
      `${ROOT}/cli/${entry}`,
      ...args,
    ],
    env: { NO_COLOR: "1", CAIRN_PROGRESS: "0", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
};

Deno.test("the launcher prints what cli/main.ts prints, with the same exit codes", async () => {
  await withTempDir(async (dir) => {
    const cases = [
      ["--help"],
      ["lineage", "--help"],
      ["--version"],
      ["runs", "--no-such-flag"],
      ["scenarios", "--store", `${dir}/missing`],
    ];
    for (const args of cases) {
      const [launched, direct] = await Promise.all([run("launch.ts", args), run("main.ts", args)]);
      assert.deepEqual(launched, direct, `cairn ${args.join(" ")}`);
    }
    assert.equal((await run("launch.ts", ["scenarios", "--store", `${dir}/missing`])).code, 2);
    // Without a bundle the launcher runs the sources in a process of its own.
    for (const args of [["--help"], ["scenarios", "--store", `${dir}/missing`]]) {
      const [launched, direct] = await Promise.all([
        run("launch.ts", args, { CAIRN_CLI_BUNDLE: "0" }),
        run("main.ts", args),
      ]);
      assert.deepEqual(launched, direct, `CAIRN_CLI_BUNDLE=0 cairn ${args.join(" ")}`);
    }
  });
});

Deno.test("the launcher runs from a bundle named after the sources' fingerprint", async () => {
  const main = ensureBundle(ROOT);
  assert.ok(main !== undefined, "the bundle was built");
  assert.equal(main, `${ROOT}/${BUNDLE_DIR}/${sourceFingerprint(ROOT)}/main.js`);
  const bundled = await import(new URL(`file://${main}`).href);
  assert.equal(typeof bundled.main, "function");
});

Deno.test("sourceFingerprint() changes when a source file changes, appears or goes", async () => {
  await withTempDir((dir) => {
    for (const sub of ["cli", "lib/query", "store"]) {
      Deno.mkdirSync(`${dir}/${sub}`, { recursive: true });
    }
    Deno.writeTextFileSync(`${dir}/deno.json`, "{}");
    Deno.writeTextFileSync(`${dir}/cli/main.ts`, "export const main = () => {};\n");
    Deno.writeTextFileSync(`${dir}/lib/query/q.ts`, "export const q = 1;\n");
    const first = sourceFingerprint(dir);
    assert.equal(sourceFingerprint(dir), first, "stable while nothing changes");

    Deno.writeTextFileSync(`${dir}/lib/query/q.ts`, "export const q = 22;\n");
    const edited = sourceFingerprint(dir);
    assert.notEqual(edited, first, "an edited file (new size) changes it");

    Deno.utimeSync(`${dir}/lib/query/q.ts`, new Date(1_000_000), new Date(1_000_000));
    const touched = sourceFingerprint(dir);
    assert.notEqual(touched, edited, "a new mtime changes it");

    Deno.writeTextFileSync(`${dir}/store/new.ts`, "");
    const added = sourceFingerprint(dir);
    assert.notEqual(added, touched, "a new file changes it");

    Deno.removeSync(`${dir}/store/new.ts`);
    assert.equal(sourceFingerprint(dir), touched, "removing it again restores it");

    Deno.writeTextFileSync(`${dir}/README.md`, "not a source");
    Deno.writeTextFileSync(`${dir}/lib/notes.txt`, "not a source");
    assert.equal(sourceFingerprint(dir), touched, "files the CLI cannot load do not count");
    return Promise.resolve();
  });
});

Deno.test("ensureBundle() gives undefined, and leaves nothing behind, when the sources do not bundle", async () => {
  await withTempDir((dir) => {
    for (const sub of ["cli", "lib", "store"]) Deno.mkdirSync(`${dir}/${sub}`);
    Deno.writeTextFileSync(`${dir}/cli/main.ts`, 'import "./missing.ts";\n');
    assert.equal(ensureBundle(dir), undefined);
    assert.deepEqual([...Deno.readDirSync(`${dir}/${BUNDLE_DIR}`)], []);
    return Promise.resolve();
  });
});
