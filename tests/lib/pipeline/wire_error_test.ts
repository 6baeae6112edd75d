// A pipeline error sent from another process arrives as the same typed error: every
// reason class, with its fields, a store reason inside it, and the step's own
// exception with its name, message and stack.
import assert from "node:assert/strict";
import * as StoreErrors from "../../../store/errors.ts";
import * as PipelineErrors from "../../../lib/pipeline/errors.ts";
import { decodePipelineError, encodePipelineError } from "../../../lib/pipeline/wire_error.ts";

const {
  CodeIdentityFailed,
  CodecFailed,
  CommandFailed,
  CommandOutputMissing,
  ExecutorFailed,
  RunnerUnavailable,
  ConfigNotCanonical,
  InputChanged,
  InputDamaged,
  InputMissing,
  InputModified,
  InvalidStep,
  pipelineError,
  ScenarioNotRecorded,
  StepFailed,
} = PipelineErrors;
const {
  AmbiguousId,
  DestinationExists,
  IntegrityMismatch,
  InvalidInput,
  InvalidObject,
  InvalidRefName,
  IoFailure,
  LockBusy,
  ObjectNotFound,
  RefConflict,
  storeError,
  UnreadableRoot,
  UnsafePath,
  Unsupported,
  UnsupportedStore,
} = StoreErrors;

const ID = "ab".repeat(32);

const thrown = (() => {
  try {
    throw new RangeError("the matrix is singular", { cause: new Error("pivot 0") });
  } catch (e) {
    return e as RangeError;
  }
})();

const storeReasons = [
  new ObjectNotFound({ id: ID }),
  new IntegrityMismatch({
    id: ID,
    actual: "cd".repeat(32),
    path: "/s/objects/ab/x",
    setAside: "/s/q",
  }),
  new InvalidObject({ id: ID, detail: "not a tree" }),
  new InvalidInput({ what: "id", detail: "not hex" }),
  new InvalidRefName({ name: "a..b", detail: "has .." }),
  new RefConflict({ name: "scenarios/x", expected: null, actual: ID }),
  new LockBusy({ path: "/s/refs/x.lock" }),
  new UnsafePath({ path: "../x", detail: "escapes" }),
  new DestinationExists({ path: "/out" }),
  new UnsupportedStore({ root: "/s", detail: "format 2" }),
  new AmbiguousId({ prefix: "abcd", matches: 2 }),
  new IoFailure({ op: "read index", path: "/s/index/cache.log", cause: new Error("EIO") }),
  new UnreadableRoot({ root: 'ref "x"', id: ID, linkedFrom: null, detail: "damaged" }),
  new Unsupported({ op: "collect garbage", backend: "s3://b/p", detail: "not yet" }),
];

const reasons = [
  new ConfigNotCanonical({ path: "config.beta", detail: "NaN" }),
  new InvalidStep({ step: "s", detail: "bad" }),
  new StepFailed({ step: "assign", iteration: 3, cause: thrown }),
  new StepFailed({ step: "assign", iteration: null, cause: "a string was thrown" }),
  new StepFailed({ step: "assign", iteration: null, cause: { code: 7, list: [1, "two"] } }),
  new CodecFailed({ codec: "json", artifact: 'output "y" of step "s"', detail: "NaN" }),
  new InputMissing({ path: "data/zones.csv", detail: "no such file" }),
  new CodeIdentityFailed({ step: "s", detail: "parse error" }),
  new InputDamaged({
    step: "s",
    iteration: 1,
    input: "skims",
    artifact: ID,
    producer: "ef".repeat(32),
    detail: "hash",
  }),
  new InputModified({ step: "s", iteration: null, input: "x", path: "/tmp/x", damaged: true }),
  new ScenarioNotRecorded({ scenario: "base", cause: storeError(new LockBusy({ path: "/l" })) }),
  new InputChanged({ path: "a.csv", detail: "size changed" }),
  new CommandFailed({
    step: "model",
    iteration: 0,
    end: { signal: "SIGKILL" },
    stderrTail: ["Traceback", "MemoryError"],
    stderrLines: 30,
    logs: { stdout: ID, stderr: "cd".repeat(32) },
    seeLogs: "cairn logs base model@0",
    undeclared: ["scratch.tmp"],
    runner: "sandbox",
  }),
  new CommandOutputMissing({
    step: "model",
    iteration: null,
    output: "times",
    path: "out/times.csv",
    expected: "a file",
    found: null,
    seeLogs: "cairn logs base model",
  }),
  new RunnerUnavailable({
    step: "model",
    runner: "sandbox",
    detail: "no bwrap",
    fix: "install it",
  }),
  new ExecutorFailed({ step: "s", iteration: 2, executor: "workers", detail: "it was killed" }),
  ...storeReasons.map((r) => storeError(r)),
];

const tagOf = (value: unknown): string | undefined => {
  if (typeof value !== "function" || !(value.prototype instanceof Error)) return undefined;
  const tag = (new (value as new (f: object) => { _tag?: unknown })({}))._tag;
  return typeof tag === "string" ? tag : undefined;
};

Deno.test("the samples cover every error class a pipeline error can carry", () => {
  const all = [...Object.values(PipelineErrors), ...Object.values(StoreErrors)]
    .map(tagOf)
    .filter((t): t is string => t !== undefined && t !== "PipelineError" && t !== "StoreError");
  const sampled = new Set<string>(
    reasons.flatMap((r) => r instanceof StoreErrors.StoreError ? [r.reason._tag] : [r._tag]),
  );
  for (const tag of all) assert.ok(sampled.has(tag), `no sample of ${tag}`);
});

Deno.test("every pipeline error survives JSON as the same typed error with the same message", () => {
  for (const reason of reasons) {
    const sent = pipelineError(reason);
    const wire = JSON.parse(JSON.stringify(encodePipelineError(sent)));
    const got = decodePipelineError(wire, "s", null);
    assert.ok(got instanceof PipelineErrors.PipelineError);
    assert.equal(got.reason._tag, reason._tag);
    assert.equal(Object.getPrototypeOf(got.reason), Object.getPrototypeOf(reason));
    assert.equal(got.message, sent.message);
    if (reason instanceof StoreErrors.StoreError) {
      const inner = (got.reason as StoreErrors.StoreError).reason;
      assert.equal(Object.getPrototypeOf(inner), Object.getPrototypeOf(reason.reason));
      assert.deepEqual({ ...inner, cause: undefined }, { ...reason.reason, cause: undefined });
    }
  }
});

Deno.test("a step's exception arrives with its name, message, stack and cause", () => {
  const wire = JSON.parse(JSON.stringify(encodePipelineError(pipelineError(reasons[2]!))));
  const got = decodePipelineError(wire, "assign", 3).reason as InstanceType<typeof StepFailed>;
  assert.ok(got instanceof StepFailed);
  assert.equal(got.iteration, 3);
  const cause = got.cause as Error;
  assert.ok(cause instanceof Error);
  assert.equal(cause.name, "RangeError");
  assert.equal(cause.message, "the matrix is singular");
  assert.equal(cause.stack, thrown.stack);
  assert.equal((cause.cause as Error).message, "pivot 0");
  const scenario = decodePipelineError(
    JSON.parse(JSON.stringify(encodePipelineError(pipelineError(reasons[10]!)))),
    "s",
    null,
  ).reason as InstanceType<typeof ScenarioNotRecorded>;
  assert.ok(scenario.cause instanceof StoreErrors.StoreError);
  assert.equal(scenario.cause.reason._tag, "LockBusy");
});

Deno.test("what is not a pipeline error arrives as a StepFailed saying what came", () => {
  for (const wire of [null, 7, "x", { tag: "Nonsense", fields: {} }, { tag: "InvalidStep" }]) {
    const got = decodePipelineError(wire, "s", 2);
    assert.ok(got instanceof PipelineErrors.PipelineError);
    if (got.reason._tag === "InvalidStep") continue; // a bare InvalidStep is one
    assert.equal(got.reason._tag, "StepFailed");
    assert.match(got.message, /not a pipeline error/);
  }
});
