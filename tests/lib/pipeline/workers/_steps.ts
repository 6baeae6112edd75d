// Steps the worker-pool tests run: declared at module level, so a worker that
// imports this module finds them by their addresses.
import { Json, list, step } from "../../../../mod.ts";

// Writes `me` into the meeting directory, then waits for `other`: two of these can
// only both finish when they run at the same time.
const meet = async (me: string, other: string): Promise<{ pid: number }> => {
  const dir = Deno.env.get("CAIRN_MEET_DIR")!;
  Deno.writeTextFileSync(`${dir}/${me}`, String(Deno.pid));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      Deno.statSync(`${dir}/${other}`);
      return { pid: Deno.pid };
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw new Error(`${other} never arrived: the two steps did not run at the same time`);
};

export const meetA = step({
  name: "meet.a",
  outputs: { pid: Json },
  env: ["CAIRN_MEET_DIR"],
  config: { me: "a", other: "b" },
  run: (_, c) => meet(c.me, c.other),
});

export const meetB = step({
  name: "meet.b",
  outputs: { pid: Json },
  env: ["CAIRN_MEET_DIR"],
  config: { me: "b", other: "a" },
  run: (_, c) => meet(c.me, c.other),
});

export const where = step({
  name: "where",
  outputs: { pid: Json },
  config: { n: 1 },
  run: () => ({ pid: Deno.pid }),
});

export const double = step({
  name: "double",
  inputs: { x: Json },
  outputs: { y: Json, pid: Json },
  run: ({ x }) => ({ y: x * 2, pid: Deno.pid }),
});

export const singular = step({
  name: "singular",
  outputs: { y: Json },
  config: { n: 2 },
  run: () => {
    throw new RangeError("the matrix is singular");
  },
});

export const crash = step({
  name: "crash",
  outputs: { y: Json },
  config: { n: 3 },
  run: () => {
    Deno.kill(Deno.pid, "SIGKILL");
    return { y: 0 };
  },
});

// Its config is read when the module is evaluated: a worker started after the
// variable changed declares it with another config, so another key.
export const salted = step({
  name: "salted",
  outputs: { salt: Json, pid: Json },
  config: { salt: Deno.env.get("CAIRN_TEST_SALT") ?? "none" },
  run: (_, c) => ({ salt: c.salt, pid: Deno.pid }),
});

// A step that keeps its thread busy for a minute (a long numeric step would not yield
// either), after leaving its pid in $CAIRN_SLEEPY_DIR.
const spin = (ms: number) => {
  Deno.writeTextFileSync(`${Deno.env.get("CAIRN_SLEEPY_DIR")}/${Deno.pid}`, "");
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy
  }
  return { y: 1 };
};

export const sleepyA = step({
  name: "sleepy.a",
  outputs: { y: Json },
  config: { ms: 60_000, which: "a" },
  run: (_, c) => spin(c.ms),
});

export const sleepyB = step({
  name: "sleepy.b",
  outputs: { y: Json },
  config: { ms: 60_000, which: "b" },
  run: (_, c) => spin(c.ms),
});

// Counts its runs in $CAIRN_COUNT_DIR (a file per run) and takes a while; with
// $CAIRN_HOLD set (not part of its key) it never finishes.
export const counted = step({
  name: "counted",
  outputs: { y: Json },
  config: { ms: 300 },
  run: async (_, c) => {
    Deno.writeTextFileSync(
      `${Deno.env.get("CAIRN_COUNT_DIR")}/${Deno.pid}-${crypto.randomUUID()}`,
      "",
    );
    if (Deno.env.get("CAIRN_HOLD")) await new Promise(() => setInterval(() => {}, 1000));
    await new Promise((r) => setTimeout(r, c.ms));
    return { y: 42 };
  },
});

export const scaled = step({
  name: "scaled",
  inputs: { x: Json },
  outputs: { y: Json, pid: Json },
  config: { factor: 1, when: new Date(0) },
  run: ({ x }, c) => ({ y: x * c.factor + (c.when instanceof Date ? 0 : 1000), pid: Deno.pid }),
});

export const total = step({
  name: "total",
  inputs: { xs: list(Json) },
  outputs: { sum: Json, pid: Json },
  run: ({ xs }) => ({ sum: xs.reduce((s: number, x: number) => s + x, 0), pid: Deno.pid }),
});
