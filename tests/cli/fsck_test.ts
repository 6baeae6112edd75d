// `cairn fsck`: a report, and a non-zero exit when something is wrong.
import assert from "node:assert/strict";
import type { FsckReport } from "../../store/fsck.ts";
import { cairn, cairnJson, runDemo, withTempDir } from "./_fixture.ts";

Deno.test("fsck passes a healthy store and exits 1 naming a damaged object", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const ran = await runDemo(root, { rate: 1.1, n: 1 });
    const healthy = await cairn(["fsck", "--store", root]);
    assert.equal(healthy.code, 0);
    assert.match(healthy.stdout, /ok: no problems found/);
    const report = await cairnJson<FsckReport>(["fsck", "--store", root]);
    assert.equal(report.ok, true);
    assert.match(healthy.stdout, new RegExp(`^${report.objects} objects `, "m"));

    const path = `${root}/objects/${ran.final.slice(0, 2)}/${ran.final.slice(2)}`;
    Deno.chmodSync(path, 0o644);
    Deno.writeTextFileSync(path, "999");
    const damaged = await cairn(["fsck", "--store", root]);
    assert.equal(damaged.code, 1);
    assert.match(damaged.stdout, /1 problem: 1 corrupt/);
    assert.match(damaged.stdout, new RegExp(`corrupt +${ran.final}`));
    const json = await cairn(["fsck", "--json", "--store", root]);
    assert.equal(json.code, 1);
    assert.equal((JSON.parse(json.stdout) as FsckReport).ok, false);
  });
});
