// `cairn materialize`: an artifact out of the store.
import assert from "node:assert/strict";
import { cairn, cairnOk, runDemo, withTempDir } from "./_fixture.ts";

Deno.test("materialize writes an output, refuses to overwrite without --overwrite", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    await runDemo(root, { rate: 1.1, n: 1 });
    const dest = `${dir}/zones-copy.csv`;
    const store = ["--store", root];

    const text = await cairnOk(["materialize", `${root}.zones.csv`, dest, ...store]);
    assert.match(text, /^wrote blob \w{12} to .*zones-copy\.csv: 1 file/);
    assert.equal(Deno.readTextFileSync(dest), Deno.readTextFileSync(`${root}.zones.csv`));

    const again = await cairn(["materialize", "x", dest, ...store]);
    assert.equal(again.code, 2);
    assert.match(
      again.stderr,
      /^error: Cannot materialize into .*: it already exists; .*--overwrite\n$/,
    );
    await cairnOk(["materialize", "x", dest, "--overwrite", ...store]);
    assert.equal(
      Deno.readTextFileSync(dest).trim(),
      String(JSON.parse(Deno.readTextFileSync(dest))),
    );

    const scenario = await cairn(["materialize", "demo", `${dir}/d`, ...store]);
    assert.equal(scenario.code, 2);
    assert.match(scenario.stderr, /it is a scenario, not an artifact/);
  });
});
