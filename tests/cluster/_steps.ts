// Steps the cluster tests run: declared at module level, so a runner that imports this
// module finds them by their addresses.
import { Json, step } from "../../mod.ts";

export const where = step({
  name: "cluster.where",
  outputs: { pid: Json },
  config: { n: 1 },
  run: () => ({ pid: Deno.pid }),
});

export const double = step({
  name: "cluster.double",
  inputs: { x: Json },
  outputs: { y: Json, pid: Json },
  run: ({ x }) => ({ y: x * 2, pid: Deno.pid }),
});

export const singular = step({
  name: "cluster.singular",
  outputs: { y: Json },
  config: { n: 2 },
  run: () => {
    throw new RangeError("the matrix is singular");
  },
});

// Announces itself (a file named after its pid in $CAIRN_SLOW_DIR), then sleeps
// `ms`: what the kill test kills a runner in the middle of.
export const slow = step({
  name: "cluster.slow",
  inputs: { label: Json },
  outputs: { label: Json, pid: Json },
  env: ["CAIRN_SLOW_DIR"],
  config: { ms: 1500 },
  run: async ({ label }, c) => {
    const dir = Deno.env.get("CAIRN_SLOW_DIR");
    if (dir) Deno.writeTextFileSync(`${dir}/${Deno.pid}-${label}`, "");
    await new Promise((r) => setTimeout(r, c.ms));
    return { label, pid: Deno.pid };
  },
});

// CPU-bound: `n` rounds of a 64-bit mix (what the 1-vs-2-runner measure sweeps).
export const burn = step({
  name: "cluster.burn",
  inputs: { seed: Json },
  outputs: { h: Json, pid: Json },
  config: { rounds: 30_000_000 },
  run: ({ seed }, c) => {
    let h = seed >>> 0;
    for (let i = 0; i < c.rounds; i++) h = Math.imul(h ^ (h >>> 15), 2246822519) + i >>> 0;
    return { h, pid: Deno.pid };
  },
});

// Its config is read when the module is evaluated: a runner started with another
// CAIRN_TEST_SALT declares it with another config, so another key.
export const salted = step({
  name: "cluster.salted",
  outputs: { salt: Json },
  config: { salt: Deno.env.get("CAIRN_TEST_SALT") ?? "none" },
  run: (_, c) => ({ salt: c.salt }),
});

// One iteration of the chaos test's sweep: `ms` of waiting, then the state plus one.
export const tick = step({
  name: "cluster.tick",
  inputs: { state: Json },
  outputs: { state: Json },
  config: { ms: 250 },
  run: async ({ state }, c) => {
    await new Promise((r) => setTimeout(r, c.ms));
    return { state: state + 1 };
  },
});
