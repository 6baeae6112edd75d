// A command's run record and a failed command's scenario invocation: their extra fields
// (`command`, `logs`, the components' command parts) survive decoding, and malformed
// ones are refused.
import assert from "node:assert/strict";
import { decodeRunRecord, encodeRunRecord } from "../../../lib/model/run_record.ts";
import { decodeScenarioRecord } from "../../../lib/model/scenario_record.ts";
import { encodeRecord } from "../../../store/record.ts";

const id = (c: string) => c.repeat(64);

const run = {
  type: "run" as const,
  step: "congestion",
  key: id("k"),
  components: {
    format: "cairn-key/1",
    step: "congestion",
    signature: {},
    code: { mode: "version", identity: id("c"), units: { version: "cairn-command/1" } },
    config: { alpha: 0.15 },
    inputs: {},
    iteration: 0,
    env: {},
    argv: ["python3", "py/bpr.py", "in/volumes.csv"],
    files: { volumes: "in/volumes.csv" },
    sources: { "py/bpr.py": id("a") },
    tools: { python3: id("b") },
    image: null,
  },
  inputs: {},
  outputs: {},
  iteration: 0,
  scenario: "baseline",
  startedAt: "2026-01-01T00:00:00.000Z",
  endedAt: "2026-01-01T00:00:01.000Z",
  durationMs: 1000,
  host: "h",
  status: "ok" as const,
  command: {
    runner: "sandbox" as const,
    exit: 0,
    programMs: 950,
    tools: { python3: "/usr/bin/python3.11" },
    leftovers: ["tmp.dat"],
  },
  logs: { stdout: id("1"), stderr: id("2") },
  links: [id("1"), id("2"), id("a")],
};

Deno.test("a command's run record keeps command, logs and its components' command parts through decoding", () => {
  const decoded = decodeRunRecord(encodeRunRecord(run));
  assert.ok(decoded);
  assert.deepEqual(decoded.command, run.command);
  assert.deepEqual(decoded.logs, run.logs);
  assert.deepEqual((decoded.components as Record<string, unknown>).argv, run.components.argv);
  assert.deepEqual((decoded.components as Record<string, unknown>).sources, run.components.sources);
  // Its bytes are canonical JSON like every record's: the same fields, the same id.
  const again = encodeRecord(encodeRunRecord({ ...run, logs: { ...run.logs } }));
  assert.deepEqual(again, encodeRecord(encodeRunRecord(run)));
});

Deno.test("a run record with a malformed command or logs field is not a run record", () => {
  assert.equal(decodeRunRecord({ ...run, command: { ...run.command, runner: "vm" } }), undefined);
  assert.equal(decodeRunRecord({ ...run, logs: { stdout: id("1") } }), undefined);
});

Deno.test("a failed command's invocation keeps its logs in the scenario record", () => {
  const record = {
    type: "scenario",
    name: "baseline",
    status: "failed",
    config: null,
    tags: [],
    facets: {},
    invocations: [{
      step: "congestion",
      iteration: 3,
      run: null,
      hit: false,
      durationMs: 12,
      status: "failed",
      error: 'Command "congestion" failed in iteration 3: it exited with code 1',
      logs: { stdout: id("1"), stderr: id("2") },
    }],
    parent: null,
    startedAt: "",
    endedAt: "",
    durationMs: 12,
    host: "h",
    links: [id("1"), id("2")],
  };
  assert.deepEqual(decodeScenarioRecord(record)?.invocations[0]?.logs, record.invocations[0]!.logs);
});
