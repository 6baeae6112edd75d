// Known-answer tests for the formats the pipeline writes: the exact bytes of a cache
// entry, lineage entries, a run record and a scenario record. A change to any of them
// is a format change (old stores would stop matching), so it must show up here.
import assert from "node:assert/strict";
import { encodeRecord } from "../../../store/record.ts";
import {
  decodeCacheValue,
  droppedCacheValue,
  droppedRun,
  encodeCacheValue,
} from "../../../lib/model/cache_entry.ts";
import {
  decodeRunSummary,
  lineageEntries,
  type RunSummary,
  summaryOfRecord,
} from "../../../lib/model/lineage_entry.ts";
import {
  decodeRunRecord,
  encodeRunRecord,
  type RunRecord,
  runRecordProblem,
} from "../../../lib/model/run_record.ts";
import {
  decodeScenarioRecord,
  encodeScenarioRecord,
  scenarioRecordProblem,
} from "../../../lib/model/scenario_record.ts";

const A = "a".repeat(64);
const B = "b".repeat(64);
const C = "c".repeat(64);

Deno.test("cache entry: `<run> {name: [id, kind, codec, size]}` with names sorted, and a tombstone", () => {
  const value = encodeCacheValue(A, {
    y: { id: B, kind: "blob", codec: "json", size: 2 },
    skims: { id: C, kind: "tree", codec: "dir", size: 2300 },
  });
  assert.equal(value, `${A} {"skims":["${C}","tree","dir",2300],"y":["${B}","blob","json",2]}`);
  assert.deepEqual(decodeCacheValue(value), {
    run: A,
    outputs: {
      skims: { id: C, kind: "tree", codec: "dir", size: 2300 },
      y: { id: B, kind: "blob", codec: "json", size: 2 },
    },
  });
  assert.equal(droppedCacheValue(A), `dropped ${A}`);
  assert.equal(droppedRun(droppedCacheValue(A)), A);
  assert.equal(decodeCacheValue(droppedCacheValue(A)), undefined, "a tombstone is no entry");
  for (const bad of ["", A, `${A} {`, `${A} {"y":[1,"blob","json",2]}`, `${A} []`]) {
    assert.equal(decodeCacheValue(bad), undefined, bad);
  }
});

const SUMMARY: RunSummary = {
  step: "grow",
  iteration: 3,
  scenario: "demo",
  startedAt: "2026-12-01T00:00:00.000Z",
  durationMs: 1.5,
  inputs: { x: { id: B, kind: "blob", codec: "json", size: 1, producer: C }, none: null },
  outputs: { y: { id: C, kind: "blob", codec: "json", size: 1 } },
};

Deno.test("lineage entries: run, step, produced and consumed lines, canonical JSON", () => {
  assert.deepEqual(lineageEntries(A, SUMMARY), [
    [
      `run:${A}`,
      `${A} {"durationMs":1.5,"inputs":{"none":null,"x":{"codec":"json","id":"${B}","kind":"blob","producer":"${C}","size":1}},"iteration":3,"outputs":{"y":{"codec":"json","id":"${C}","kind":"blob","size":1}},"scenario":"demo","startedAt":"2026-12-01T00:00:00.000Z","step":"grow"}`,
    ],
    [`step:grow`, `${A} 3`],
    [`produced:${C}`, A],
    [`consumed:${B}`, A],
  ]);
  const [, value] = lineageEntries(A, SUMMARY)[0]!;
  // A summary written before summaries kept the key and host still decodes.
  assert.deepEqual(decodeRunSummary(value), { run: A, summary: SUMMARY });
  const full = { ...SUMMARY, key: "k".repeat(64), host: "h" };
  const [, fullValue] = lineageEntries(A, full)[0]!;
  assert.equal(
    fullValue,
    `${A} {"durationMs":1.5,"host":"h","inputs":{"none":null,"x":{"codec":"json","id":"${B}","kind":"blob","producer":"${C}","size":1}},"iteration":3,"key":"${
      "k".repeat(64)
    }","outputs":{"y":{"codec":"json","id":"${C}","kind":"blob","size":1}},"scenario":"demo","startedAt":"2026-12-01T00:00:00.000Z","step":"grow"}`,
  );
  assert.deepEqual(decodeRunSummary(fullValue), { run: A, summary: full });
  assert.equal(decodeRunSummary(fullValue.replace('"host":"h"', '"host":7')), undefined);
  assert.equal(decodeRunSummary(`${A} {"step":1}`), undefined, "a summary of the wrong shape");
  assert.equal(decodeRunSummary("garbage"), undefined);
});

const RUN: RunRecord = {
  type: "run",
  step: "grow",
  key: "k".repeat(64),
  components: {
    format: "cairn-key/1",
    step: "grow",
    signature: { inputs: {}, outputs: { y: "json" } },
    code: { mode: "version", identity: "i", units: { version: "1" } },
    config: { rate: 1.1 },
    inputs: { x: B, none: null },
    iteration: 3,
    env: {},
  },
  inputs: SUMMARY.inputs,
  outputs: SUMMARY.outputs,
  iteration: 3,
  scenario: "demo",
  startedAt: SUMMARY.startedAt,
  endedAt: "2026-12-01T00:00:01.500Z",
  durationMs: 1.5,
  host: "h",
  status: "ok",
  links: [B, C],
};

Deno.test("run record: its canonical bytes, decoded back without loss, and refused in other shapes", () => {
  const stored = encodeRunRecord(RUN);
  assert.equal(
    new TextDecoder().decode(encodeRecord(stored)),
    `{"components":{"code":{"identity":"i","mode":"version","units":{"version":"1"}},"config":{"rate":1.1},"env":{},"format":"cairn-key/1","inputs":{"none":null,"x":"${B}"},"iteration":3,"signature":{"inputs":{},"outputs":{"y":"json"}},"step":"grow"},"durationMs":1.5,"endedAt":"2026-12-01T00:00:01.500Z","host":"h","inputs":{"none":null,"x":{"codec":"json","id":"${B}","kind":"blob","producer":"${C}","size":1}},"iteration":3,"key":"${
      "k".repeat(64)
    }","links":["${B}","${C}"],"outputs":{"y":{"codec":"json","id":"${C}","kind":"blob","size":1}},"scenario":"demo","startedAt":"2026-12-01T00:00:00.000Z","status":"ok","step":"grow","type":"run"}`,
  );
  assert.deepEqual(decodeRunRecord(stored), RUN);
  assert.deepEqual(summaryOfRecord(RUN), { ...SUMMARY, key: RUN.key, host: "h" });
  const uncached = { ...RUN, uncached: "source changed while the pipeline ran: helper.ts" };
  assert.equal(decodeRunRecord(encodeRunRecord(uncached))?.uncached, uncached.uncached);
  assert.equal(decodeRunRecord({ ...RUN, type: "scenario" }), undefined);
  assert.equal(decodeRunRecord({ ...RUN, outputs: { y: { id: 1 } } }), undefined);
  assert.match(runRecordProblem({ ...RUN, key: 7 }) ?? "", /key/);
  // A command step's extra key parts are kept as they are.
  const extra = { ...RUN, components: { ...RUN.components, sources: { "py/bpr.py": B } } };
  assert.deepEqual(
    (decodeRunRecord(encodeRunRecord(extra))?.components as Record<string, unknown>).sources,
    { "py/bpr.py": B },
  );
});

Deno.test("scenario record: its canonical bytes, decoded back, refused in other shapes", () => {
  const scenario = {
    type: "scenario" as const,
    name: "demo",
    status: "ok",
    config: { n: 2 },
    tags: ["t"],
    facets: { n: 2 },
    invocations: [
      { step: "seed", iteration: null, run: A, hit: false, durationMs: 1, status: "ok" as const },
      {
        step: "grow",
        iteration: 0,
        run: null,
        hit: false,
        durationMs: 2,
        status: "failed" as const,
        error: "boom",
      },
    ],
    parent: null,
    startedAt: "s",
    endedAt: "e",
    durationMs: 3,
    host: "h",
    links: [A],
  };
  assert.equal(
    new TextDecoder().decode(encodeRecord(encodeScenarioRecord(scenario))),
    `{"config":{"n":2},"durationMs":3,"endedAt":"e","facets":{"n":2},"host":"h","invocations":[{"durationMs":1,"hit":false,"iteration":null,"run":"${A}","status":"ok","step":"seed"},{"durationMs":2,"error":"boom","hit":false,"iteration":0,"run":null,"status":"failed","step":"grow"}],"links":["${A}"],"name":"demo","parent":null,"startedAt":"s","status":"ok","tags":["t"],"type":"scenario"}`,
  );
  assert.deepEqual(decodeScenarioRecord(encodeScenarioRecord(scenario)), scenario);
  assert.equal(decodeScenarioRecord({ type: "scenario", name: "x" }), undefined);
  assert.match(scenarioRecordProblem({ ...scenario, invocations: [{ step: 1 }] }) ?? "", /step/);
});
