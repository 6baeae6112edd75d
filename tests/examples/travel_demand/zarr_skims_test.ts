import assert from "node:assert/strict";
import { Effect, Exit } from "effect";
import { DEFAULT_CONFIG, MODES } from "../../../examples/travel_demand/config.ts";
import { distanceMatrix, freeFlowSkims } from "../../../examples/travel_demand/model/skims.ts";
import { readSkims, writeSkims } from "../../../examples/travel_demand/zarr_skims.ts";
import { listFiles } from "../../../examples/travel_demand/_format.ts";

const skims = freeFlowSkims(distanceMatrix([0, 1.5, 4, 7], 0.6), DEFAULT_CONFIG.network);

const withDir = async (f: (dir: string) => Promise<void>) => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-zarr-" });
  try {
    await f(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
};

Deno.test("writeSkims() then readSkims() returns every matrix unchanged", async () => {
  await withDir(async (dir) => {
    await Effect.runPromise(writeSkims(`${dir}/skims`, skims));
    const back = await Effect.runPromise(readSkims(`${dir}/skims`));
    assert.equal(back.zones, 4);
    for (const mode of MODES) {
      assert.deepEqual(back.time[mode], skims.time[mode]);
      assert.deepEqual(back.cost[mode], skims.cost[mode]);
    }
  });
});

Deno.test("writeSkims() writes a zarr v3 store, the same bytes every time", async () => {
  await withDir(async (dir) => {
    await Effect.runPromise(writeSkims(`${dir}/a`, skims));
    await Effect.runPromise(writeSkims(`${dir}/b`, skims));
    const files = listFiles(`${dir}/a`).map(([f]) => f);
    assert.ok(files.includes("zarr.json") && files.includes("time/zarr.json"), files.join());
    assert.equal(JSON.parse(Deno.readTextFileSync(`${dir}/a/time/zarr.json`)).zarr_format, 3);
    assert.deepEqual(listFiles(`${dir}/b`).map(([f]) => f), files);
    for (const f of files) {
      assert.deepEqual(Deno.readFileSync(`${dir}/a/${f}`), Deno.readFileSync(`${dir}/b/${f}`), f);
    }
  });
});

Deno.test("readSkims() fails in the error channel on a directory that is not skims", async () => {
  await withDir(async (dir) => {
    const exit = await Effect.runPromiseExit(readSkims(dir));
    assert.ok(Exit.isFailure(exit));
    const error = await Effect.runPromise(Effect.flip(readSkims(dir)));
    assert.equal(error._tag, "SkimsIoError");
    assert.match(error.message, /Cannot access skims/);
  });
});
