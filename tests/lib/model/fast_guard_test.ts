// The compiled guards read on hot paths accept exactly what the formats' Schemas
// accept: checked on valid records and on thousands of mutations of them (a field
// removed, retyped, nulled, nested wrongly; an extra field), and on arbitrary values.
import assert from "node:assert/strict";
import * as Schema from "effect/Schema";
import { fastGuard, guardCompiles } from "../../../lib/model/_fast_guard.ts";
import { RunRecordSchema } from "../../../lib/model/run_record.ts";
import { RunSummarySchema } from "../../../lib/model/lineage_entry.ts";
import { ScenarioRecordSchema } from "../../../lib/model/scenario_record.ts";

let seed = 11;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const ref = (id: string) => ({ id, kind: "blob", codec: "json", size: 512 });

const runRecord = {
  type: "run",
  step: "logsums",
  key: "k".repeat(64),
  components: {
    format: "cairn-key-3",
    step: "logsums",
    signature: { inputs: ["skims"] },
    code: { mode: "precise", identity: "i".repeat(64), units: { "steps.ts#logsums": "u" } },
    config: { beta: -0.05 },
    inputs: { skims: "s".repeat(64), zones: null },
    iteration: 2,
    env: { HOME: null },
    sources: { "model.sh": "h" },
  },
  inputs: { skims: { ...ref("s".repeat(64)), producer: "p".repeat(64) }, zones: null },
  outputs: { logsums: ref("o".repeat(64)) },
  iteration: 2,
  scenario: "baseline",
  startedAt: "2026-12-01T10:00:00.000Z",
  endedAt: "2026-12-01T10:00:01.000Z",
  durationMs: 1000,
  host: "node-1",
  status: "ok",
  uncached: "model.ts changed",
  links: ["s".repeat(64), "o".repeat(64)],
};

const summary = {
  step: "logsums",
  iteration: null,
  scenario: null,
  startedAt: "2026-12-01T10:00:00.000Z",
  durationMs: 3,
  inputs: { skims: { ...ref("s".repeat(64)), producer: null } },
  outputs: { logsums: ref("o".repeat(64)) },
};

const scenarioRecord = {
  type: "scenario",
  name: "baseline",
  status: "ok",
  config: { n: 10 },
  tags: ["demo"],
  facets: { n: 10 },
  invocations: [
    { step: "logsums", iteration: 0, run: "r".repeat(64), hit: true, durationMs: 1, status: "ok" },
    {
      step: "assign",
      iteration: null,
      run: null,
      hit: false,
      durationMs: 2,
      status: "failed",
      error: "x",
    },
  ],
  parent: null,
  startedAt: "2026-12-01T10:00:00.000Z",
  endedAt: "2026-12-01T10:00:01.000Z",
  durationMs: 1000,
  host: "node-1",
  links: ["r".repeat(64)],
};

const oddValues: readonly unknown[] = [
  null,
  undefined,
  0,
  -1.5,
  "",
  "x",
  "blob",
  "tree",
  "run",
  "ok",
  true,
  false,
  [],
  ["x"],
  [1],
  {},
  { id: "x" },
];

const clone = <T>(v: T): T => structuredClone(v);

// A mutation somewhere in the value: at a random path, one of the changes above.
const mutate = (value: unknown, depth = 0): unknown => {
  if (typeof value !== "object" || value === null || (depth > 0 && rand() < 0.3)) {
    return pick(oddValues);
  }
  if (Array.isArray(value)) {
    if (value.length === 0 || rand() < 0.2) return [...value, pick(oddValues)];
    const i = Math.floor(rand() * value.length);
    const out = [...value];
    out[i] = mutate(out[i], depth + 1);
    return out;
  }
  const out = { ...(value as Record<string, unknown>) };
  const keys = Object.keys(out);
  const roll = rand();
  if (roll < 0.15 || keys.length === 0) {
    out[pick(["extra", "type", "id", "units", "command"])] = pick(oddValues);
  } else if (roll < 0.3) delete out[pick(keys)];
  else {
    const key = pick(keys);
    out[key] = mutate(out[key], depth + 1);
  }
  return out;
};

const agree = (name: string, schema: Schema.Top, valid: unknown) => {
  assert.ok(guardCompiles(schema), `${name}: compiled, not the Schema's own guard`);
  const fast = fastGuard(schema);
  const slow = Schema.is(schema);
  assert.equal(slow(valid), true, `${name}: the example is valid`);
  assert.equal(fast(valid), true, `${name}: the guard accepts the example`);
  let refused = 0;
  for (let i = 0; i < 3000; i++) {
    let v: unknown = clone(valid);
    const times = 1 + Math.floor(rand() * 3);
    for (let t = 0; t < times; t++) v = mutate(v);
    const expected = slow(v);
    if (!expected) refused++;
    assert.equal(fast(v), expected, `${name}: ${JSON.stringify(v)}`);
  }
  for (const v of oddValues) assert.equal(fast(v), slow(v), `${name}: ${String(v)}`);
  // The mutations reach both answers: the comparison means something.
  assert.ok(refused > 500 && refused < 3000, `${name}: ${refused} of 3000 refused`);
};

Deno.test("the run record's compiled guard accepts exactly what its Schema accepts", () => {
  agree("run record", RunRecordSchema, runRecord);
});

Deno.test("the lineage summary's compiled guard accepts exactly what its Schema accepts", () => {
  agree("run summary", RunSummarySchema, summary);
});

Deno.test("the scenario record's compiled guard accepts exactly what its Schema accepts", () => {
  agree("scenario record", ScenarioRecordSchema, scenarioRecord);
});

Deno.test("a schema the compiler does not know falls back to the Schema's own guard", () => {
  const positive = Schema.Struct({ n: Schema.Number.check(Schema.isGreaterThan(0)) });
  assert.equal(guardCompiles(positive), false);
  const guard = fastGuard(positive);
  assert.equal(guard({ n: 1 }), true);
  assert.equal(guard({ n: -1 }), false, "the refinement is applied");
});
