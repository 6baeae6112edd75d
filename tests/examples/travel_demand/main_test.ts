// The demo as a user runs it: twice over one store, from another directory.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));

const demo = async (cwd: string, store: string) => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--config",
      `${root}deno.json`,
      `${root}examples/travel_demand/main.ts`,
    ],
    cwd,
    env: { CAIRN_STORE: store, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return stdout;
};

Deno.test("the demo runs end to end, extends with reuse, and a second run is all hits", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-demo-" });
  try {
    const first = await demo(dir, `${dir}/store`);
    assert.match(first, /62 of 62 step invocations ran, 0 were cache hits/);
    assert.match(first, /Iterations 0–9 were reused for every step; only 10–14 ran/);
    assert.match(first, /31 of 92 step invocations ran, 61 were cache hits/);
    for (const svg of ["mode_shares.svg", "miles.svg"]) {
      assert.ok(first.includes(`demo-output/baseline-plots/${svg}`));
      assert.match(Deno.readTextFileSync(`${dir}/demo-output/baseline-plots/${svg}`), /^<svg/);
    }
    assert.ok(Deno.statSync(`${dir}/demo-output/extended-skims/zarr.json`).isFile);
    assert.match(first, /├─ traffic_simulation@9 {2}run [0-9a-f]{12} {2}baseline/);
    assert.match(first, /deeper than --depth 4/);
    assert.match(first, /^ +logsums +15 +0–14$/m, "impact of zones: every logsums run");

    const second = await demo(dir, `${dir}/store`);
    assert.match(second, /all 62 step invocations were cache hits — nothing ran/);
    assert.match(second, /all 92 step invocations were cache hits — nothing ran/);
    assert.match(second, /Every step of every iteration was already in the store/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
