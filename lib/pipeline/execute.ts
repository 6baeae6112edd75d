// The miss path of a step: decode inputs, run, ingest outputs, record the run.
import * as Effect from "effect/Effect";
import type { JsonValue } from "../../store/canonical_json.ts";
import { configFromCanonical } from "../model/canonical_config.ts";
import { hostname } from "node:os";
import { relative } from "node:path";
import type { ObjectId } from "../../store/object_id.ts";
import type { StoreError } from "../../store/errors.ts";
import type { Artifact, ArtifactRef } from "../model/artifact.ts";
import { codecOf, elementName, type InputSpec } from "./codecs/codec.ts";
import { readingCodec } from "./codecs/compat.ts";
import {
  CodecFailed,
  InputDamaged,
  InputModified,
  InvalidStep,
  type PipelineError,
  pipelineError,
  StepFailed,
} from "./errors.ts";
import type { PipelineApi } from "./pipeline_api.ts";
import { type ExecutorApi, noAddress } from "./executor.ts";
import { type Body, type BodyResult, findStep, type StepDefinition } from "./registry.ts";
import type { StepInvocation } from "../model/step_invocation.ts";
import type { StepContext } from "./step_context.ts";
import { LINEAGE_INDEX, lineageEntries, summaryOfRecord } from "../model/lineage_entry.ts";
import { CACHE_INDEX, droppedCacheValue, encodeCacheValue } from "../model/cache_entry.ts";
import { decodeRunRecord, encodeRunRecord } from "../model/run_record.ts";
import { changedSources } from "../identity/sources.ts";
import { makeScratch, removeScratch, type Scratch } from "./scratch.ts";

export { LINEAGE_INDEX };

interface ExecuteRequest {
  readonly pipeline: PipelineApi;
  readonly name: string;
  readonly run?: StepDefinition["run"];
  /**
   * Instead of `run`: a body that stages its own inputs and returns the files of its
   * outputs — value-codec outputs too, taken as the bytes written (`command`).
   */
  readonly body?: Body;
  readonly config: unknown;
  readonly inputSpecs: StepDefinition["inputSpecs"];
  readonly outputSpecs: StepDefinition["outputSpecs"];
  readonly inputs: Readonly<Record<string, Artifact | null>>;
  readonly iteration: number | null;
  /** For a step declared `iterationInvariant`: the iteration it was invoked in. */
  readonly invariantAt: number | null | undefined;
  readonly scenario: string | null;
  readonly components: StepInvocation["components"];
  readonly key: string;
  /** The files the code identity was computed from (checked before the run is cached). */
  readonly sources: readonly string[];
}

/**
 * The in-process executor: runs an invocation here, with the declaration this process
 * registered for it (a step made at run time included).
 *
 * @example An executor that logs, then runs in process
 * ```ts
 * import assert from "node:assert/strict"
 * import { Effect, Layer } from "effect"
 * import { Executor, type ExecutorApi, inProcess, Json, ObjectStore, Pipeline, step } from "cairn"
 *
 * const seed = step({ name: "seed", outputs: { x: Json }, run: () => ({ x: 1 }) })
 * const ran: string[] = []
 * const here: { api?: ExecutorApi } = {}
 * const logging = Layer.succeed(Executor, {
 *   name: "logging",
 *   execute: (invocation) => {
 *     ran.push(invocation.step)
 *     return here.api!.execute(invocation)
 *   },
 * })
 * await Effect.runPromise(
 *   Effect.gen(function* () {
 *     here.api = inProcess(yield* Pipeline)
 *     yield* seed({})
 *   }).pipe(
 *     Effect.provide(
 *       Pipeline.layer().pipe(Layer.provide(logging), Layer.provide(ObjectStore.layerTemp)),
 *     ),
 *   ),
 * )
 * assert.deepEqual(ran, ["seed"])
 * ```
 */
export const inProcess = (pipeline: PipelineApi): ExecutorApi => ({
  name: "in-process",
  execute: (invocation) => {
    const definition = findStep(invocation);
    if (!definition) {
      // Sent from another process: a step made at run time there cannot be found here.
      if (invocation.address === null) {
        return Effect.fail(noAddress(invocation.step, "in-process"));
      }
      return Effect.fail(
        pipelineError(
          new InvalidStep({
            step: invocation.step,
            detail: `no declaration at ${invocation.address} in this process; import the ` +
              "module that declares it (a worker must import the pipeline's modules)",
          }),
        ),
      );
    }
    const request = {
      pipeline,
      name: definition.name,
      // A config given at invocation is the one the key holds.
      config: invocation.configGiven
        ? configFromCanonical(invocation.components.config as JsonValue)
        : definition.config,
      inputSpecs: definition.inputSpecs,
      outputSpecs: definition.outputSpecs,
      inputs: invocation.inputs,
      iteration: invocation.iteration,
      invariantAt: definition.iterationInvariant ? invocation.invokedAt : undefined,
      scenario: invocation.scenario,
      components: invocation.components,
      key: invocation.key,
      sources: definition.sources,
    };
    const prepare = definition.prepare;
    return prepare
      ? Effect.flatMap(prepare(invocation, pipeline), (body) => executeStep({ ...request, body }))
      : executeStep({ ...request, ...(definition.run ? { run: definition.run } : {}) });
  },
});

export type { BodyResult };

const storeFailure = (e: StoreError) => pipelineError(e);

// Looked up once: the call is a syscall, and a record's host is informational.
let host: string | undefined;
const hostOf = () => (host ??= hostname());

// Runs a step that missed the cache and records it; returns the run id and outputs.
const executeStep = (
  req: ExecuteRequest,
): Effect.Effect<{ run: ObjectId; outputs: Record<string, ArtifactRef> }, PipelineError> =>
  // Start this process's writer session (no roots) before the scratch directory can
  // exist: gc spares what is younger than a live session's start, so it leaves the
  // directory alone while we live, and removes it once old if we are killed. Outside
  // the acquisition, which is uninterruptible: it may wait for a gc's lock.
  Effect.mapError(req.pipeline.store.protect([]), storeFailure).pipe(Effect.andThen(
    Effect.acquireUseRelease(
      Effect.sync(() => makeScratch(req.pipeline.store.root)),
      (scratch) => execute(req, scratch),
      // A scratch directory that cannot be removed costs disk space, not the result: gc
      // removes it later. Say so and go on.
      (scratch) =>
        Effect.try({
          try: () => removeScratch(scratch),
          catch: (e) => e,
        }).pipe(
          Effect.catch((e) =>
            Effect.sync(() =>
              req.pipeline.progress.log(
                `[cairn] could not remove scratch directory ${scratch.dir}: ${
                  message(e)
                } (gc removes it later)`,
              )
            )
          ),
        ),
    ),
  ));

const stepFailed = (req: ExecuteRequest, cause: unknown) =>
  pipelineError(
    new StepFailed({ step: req.name, iteration: req.iteration, scenario: req.scenario, cause }),
  );

const invariantMisuse = (req: ExecuteRequest) =>
  pipelineError(
    new InvalidStep({
      step: req.name,
      detail:
        `it is declared iterationInvariant: true, but its run read ctx.iteration (in iteration ${req.invariantAt}), so one iteration's result would be reused for every other; remove iterationInvariant, or stop reading ctx.iteration`,
    }),
  );

/** A hard-linked input file as it was handed to the step. */
interface LinkedFile {
  readonly input: string;
  readonly path: string;
  readonly id: ObjectId;
  readonly producer: ObjectId | null;
  readonly info: Deno.FileInfo;
}

const stamp = (i: Deno.FileInfo) =>
  `${i.ino} ${i.size} ${i.mtime?.getTime()} ${i.ctime?.getTime()} ${i.mode}`;

// An input whose object proved damaged or missing when it was read: withdraw the cache
// entry of the run that made it (so that run is a miss next time and re-creates it)
// and say exactly that.
const inputDamaged = (
  req: Pick<ExecuteRequest, "pipeline" | "name" | "iteration">,
  name: string,
  artifact: Artifact,
) =>
(e: StoreError) =>
  Effect.gen(function* () {
    const reason = e.reason._tag;
    if (reason !== "IntegrityMismatch" && reason !== "ObjectNotFound") return storeFailure(e);
    if (artifact.producer) yield* dropCacheEntry(req.pipeline, artifact.producer);
    return pipelineError(
      new InputDamaged({
        step: req.name,
        iteration: req.iteration,
        input: name,
        artifact: artifact.id,
        producer: artifact.producer,
        detail: e.reason.message,
      }),
    );
  }).pipe(Effect.flip);

/**
 * Copies input `name` to `path` (a reflink where the file system can; never a hard
 * link), failing with `InputDamaged` — and withdrawing its producer's cache entry —
 * when its object turns out damaged or missing.
 */
export const copyInput = (
  req: Pick<ExecuteRequest, "pipeline" | "name" | "iteration">,
  name: string,
  artifact: Artifact,
  path: string,
): Effect.Effect<void, PipelineError> =>
  req.pipeline.store.materialize(artifact.id, path, { kind: artifact.kind, link: "copy" }).pipe(
    Effect.asVoid,
    Effect.catch(inputDamaged(req, name, artifact)),
  );

/** Withdraws the cache entry that names `run` (a tombstone), if its key's entry does. */
export const dropCacheEntry = (pipeline: PipelineApi, run: ObjectId) =>
  Effect.gen(function* () {
    const record = decodeRunRecord(yield* pipeline.store.readRecord(run));
    if (!record) return;
    const cache = pipeline.store.index(CACHE_INDEX);
    const current = yield* cache.get(record.key);
    if (current?.startsWith(`${run} `)) yield* cache.append(record.key, droppedCacheValue(run));
  }).pipe(Effect.ignore);

const execute = (req: ExecuteRequest, scratch: Scratch) =>
  Effect.gen(function* () {
    const startedAt = new Date();
    const t0 = performance.now();
    const body = req.body ? yield* req.body(scratch) : undefined;
    const returned = body ? body.outputs : yield* runStep(req, scratch);
    return yield* record(req, scratch, returned, body, startedAt, t0);
  });

// A plain step's run: decode its inputs, call it, check what it returned.
const runStep = (req: ExecuteRequest, scratch: Scratch) =>
  Effect.gen(function* () {
    const { store } = req.pipeline;
    const hardlink = req.pipeline.link === "hardlink";
    const linked: LinkedFile[] = [];
    const makeScratchDir = Effect.try({
      try: () => scratch.make(),
      catch: (e) => stepFailed(req, new Error(`cannot make its scratch directory: ${message(e)}`)),
    });

    // Decode inputs: values for value codecs, materialized paths for File/Dir.
    const decoded: Record<string, unknown> = {};
    const paths = new Map<string, string>();
    // The verified bytes of value inputs, for `ctx.path(name)` to write as a file.
    const read = new Map<string, Uint8Array>();
    // One input artifact as `run` sees it (an element of a list input is `name[i]`).
    const decodeOne = (name: string, spec: InputSpec, artifact: Artifact) =>
      Effect.gen(function* () {
        // The declared codec's variant for the artifact's encoding (csv or parquet for a
        // Table input); the step checked, as it was invoked, that one can read it.
        const reading = readingCodec(codecOf(spec), artifact);
        if ("problem" in reading) {
          return yield* Effect.fail(
            pipelineError(
              new CodecFailed({
                codec: codecOf(spec).name,
                artifact: `input "${name}" of step "${req.name}"`,
                detail: reading.problem,
              }),
            ),
          );
        }
        const codec = reading.codec;
        if (codec._tag === "path") {
          const path = `${yield* makeScratchDir}/in/${name}`;
          yield* store.materialize(artifact.id, path, {
            kind: artifact.kind,
            link: hardlink ? "hardlink" : "copy",
            onLink: (file, id, info) =>
              linked.push({ input: name, path: file, id, producer: artifact.producer, info }),
          }).pipe(Effect.catch(inputDamaged(req, name, artifact)));
          paths.set(name, path);
          return path as unknown;
        }
        const bytes = yield* store.readBlob(artifact.id).pipe(
          Effect.catch(inputDamaged(req, name, artifact)),
        );
        read.set(name, bytes);
        return yield* Effect.tryPromise({
          try: async () => (await codec.decode(bytes)) as unknown,
          catch: (e) =>
            pipelineError(
              new CodecFailed({
                codec: codec.name,
                artifact: `input "${name}" of step "${req.name}"`,
                detail: `decode failed: ${message(e)}`,
              }),
            ),
        });
      });
    for (const [name, spec] of Object.entries(req.inputSpecs)) {
      if (spec._tag === "list") {
        const values: unknown[] = [];
        for (let i = 0;; i++) {
          const element = req.inputs[elementName(name, i)];
          if (!element) break;
          values.push(yield* decodeOne(elementName(name, i), spec, element));
        }
        decoded[name] = values;
        continue;
      }
      const artifact = req.inputs[name];
      decoded[name] = artifact ? yield* decodeOne(name, spec, artifact) : undefined;
    }

    let iterationRead = false;
    const ctx: StepContext = {
      step: req.name,
      get iteration() {
        if (req.invariantAt !== undefined) {
          iterationRead = true;
          throw invariantMisuse(req);
        }
        return req.iteration;
      },
      scenario: req.scenario,
      get outDir() {
        return `${scratch.make()}/out`;
      },
      path: (name) => {
        const known = paths.get(name);
        if (known) return known;
        const bytes = read.get(name);
        if (!bytes) {
          throw new Error(`step "${req.name}" has no input "${name}" in this invocation`);
        }
        // A value input's bytes were read (and verified) to decode it: written out as they
        // are, on first use — no store call from the step's synchronous callback.
        const path = `${scratch.make()}/in/${name}`;
        Deno.writeFileSync(path, bytes, { createNew: true, mode: 0o644 });
        paths.set(name, path);
        return path;
      },
      log: (line) => req.pipeline.progress.log(`[${req.name}] ${line}`),
    };

    // Run: a value, a Promise or an Effect; anything thrown or failed is StepFailed,
    // except reading ctx.iteration in an iteration-invariant step, caught or not.
    const failed = (e: unknown) => (iterationRead ? invariantMisuse(req) : stepFailed(req, e));
    const raw = yield* Effect.try({ try: () => req.run!(decoded, req.config, ctx), catch: failed });
    const value = Effect.isEffect(raw)
      ? yield* Effect.mapError(raw as Effect.Effect<unknown, unknown>, failed)
      : raw instanceof Promise
      ? yield* Effect.tryPromise({ try: () => raw, catch: failed })
      : raw;
    if (iterationRead) return yield* Effect.fail(invariantMisuse(req));
    yield* checkLinked(req, linked);
    const returned = (value ?? {}) as Record<string, unknown>;
    if (typeof returned !== "object") {
      return yield* Effect.fail(stepFailed(req, new Error("run must return an object of outputs")));
    }
    for (const name of Object.keys(returned)) {
      if (!(name in req.outputSpecs) && returned[name] !== undefined) {
        return yield* Effect.fail(
          stepFailed(req, new Error(`it returned "${name}", which is not a declared output`)),
        );
      }
    }
    return returned;
  });

// Ingest the outputs, write the run record, then index it.
const record = (
  req: ExecuteRequest,
  scratch: Scratch,
  returned: Readonly<Record<string, unknown>>,
  body: BodyResult | undefined,
  startedAt: Date,
  t0: number,
) =>
  Effect.gen(function* () {
    const { store } = req.pipeline;
    const outputs: Record<string, ArtifactRef> = {};
    for (const [name, codec] of Object.entries(req.outputSpecs)) {
      if (codec._tag === "value" && !body) {
        const v = returned[name];
        if (v === undefined) {
          return yield* Effect.fail(
            stepFailed(req, new Error(`it did not return output "${name}"`)),
          );
        }
        const bytes = yield* Effect.tryPromise({
          try: async () => await codec.encode(v),
          catch: (e) =>
            pipelineError(
              new CodecFailed({
                codec: codec.name,
                artifact: `output "${name}" of step "${req.name}"`,
                detail: message(e),
              }),
            ),
        });
        const put = yield* Effect.mapError(store.putBlob(bytes), storeFailure);
        outputs[name] = { id: put.id, kind: "blob", codec: codec.name, size: put.size };
        continue;
      }
      const given = returned[name];
      const path = typeof given === "string" ? given : `${scratch.dir}/out/${name}`;
      const info = yield* Effect.try({
        try: () => Deno.lstatSync(path),
        catch: () =>
          stepFailed(
            req,
            new Error(
              `it did not write output "${name}" (expected ${
                codec._tag === "path" && codec.kind === "tree" ? "a directory" : "a file"
              } at ${path})`,
            ),
          ),
      });
      const move = path.startsWith(scratch.dir + "/");
      if (codec._tag === "path" && codec.kind === "tree") {
        if (!info.isDirectory) {
          return yield* Effect.fail(
            stepFailed(req, new Error(`output "${name}" at ${path} is not a directory`)),
          );
        }
        const put = yield* Effect.mapError(store.putDir(path, { move }), storeFailure);
        outputs[name] = { id: put.id, kind: "tree", codec: codec.name, size: put.size };
      } else {
        if (!info.isFile) {
          return yield* Effect.fail(
            stepFailed(req, new Error(`output "${name}" at ${path} is not a file`)),
          );
        }
        const put = yield* Effect.mapError(store.putFile(path, { move }), storeFailure);
        outputs[name] = { id: put.id, kind: "blob", codec: codec.name, size: put.size };
      }
    }

    // Record the run, then index it: the record is complete before anything names it.
    const endedAt = new Date();
    const durationMs = Math.round((performance.now() - t0) * 1000) / 1000;
    const inputs: Record<string, (ArtifactRef & { producer: ObjectId | null }) | null> = {};
    const links = new Set<string>();
    // Every input by the name it was keyed under (a list's elements as name[i]).
    for (const name of Object.keys(req.inputs)) {
      const a = req.inputs[name];
      inputs[name] = a
        ? { id: a.id, kind: a.kind, codec: a.codec, size: a.size, producer: a.producer }
        : null;
      if (a) {
        links.add(a.id);
        if (a.producer) links.add(a.producer);
      }
    }
    for (const o of Object.values(outputs)) links.add(o.id);
    for (const id of body?.links ?? []) links.add(id);
    const uncached = sourcesChanged(req) ?? body?.uncached;
    const written = {
      type: "run" as const,
      step: req.name,
      key: req.key,
      components: req.components,
      inputs,
      outputs,
      iteration: req.iteration,
      scenario: req.scenario,
      startedAt: startedAt.toISOString(),
      endedAt: endedAt.toISOString(),
      durationMs,
      host: hostOf(),
      status: "ok" as const,
      ...body?.record,
      ...(uncached ? { uncached } : {}),
      links: [...links].sort(),
    };
    const record = yield* Effect.mapError(store.putRecord(encodeRunRecord(written)), storeFailure);
    const run = record.id;
    yield* Effect.mapError(
      Effect.gen(function* () {
        // Lineage first, then the cache entry: whatever can be found in the cache
        // can also be traced.
        yield* store.index(LINEAGE_INDEX).appendMany(lineageEntries(run, summaryOfRecord(written)));
        if (!uncached) {
          yield* store.index(CACHE_INDEX).append(req.key, encodeCacheValue(run, outputs));
        }
      }),
      storeFailure,
    );
    return { run, outputs };
  });

// After the step: every input handed out as a hard link must be as it was. One that
// changed (written to, or its mode changed) fails the step; its object is re-checked,
// set aside when damaged (its producer's cache entry withdrawn) and made read-only
// again when intact.
const checkLinked = (req: ExecuteRequest, linked: readonly LinkedFile[]) =>
  Effect.gen(function* () {
    for (const file of linked) {
      let now: Deno.FileInfo;
      try {
        now = Deno.lstatSync(file.path);
      } catch {
        continue; // removed: the object itself is untouched
      }
      if (now.ino !== file.info.ino || stamp(now) === stamp(file.info)) continue;
      const intact = yield* Effect.orElseSucceed(
        req.pipeline.store.verify(file.id, "blob"),
        () => false,
      );
      if (!intact && file.producer) yield* dropCacheEntry(req.pipeline, file.producer);
      return yield* Effect.fail(
        pipelineError(
          new InputModified({
            step: req.name,
            iteration: req.iteration,
            input: file.input,
            path: file.path,
            damaged: !intact,
          }),
        ),
      );
    }
  });

const warnedUncached = new Set<string>();

// The files the step's identity came from, re-checked before its run is cached: an
// edit made while the pipeline ran means this process may be running code that no
// longer matches them, so its result is returned but cached under no key.
const sourcesChanged = (req: ExecuteRequest): string | undefined => {
  const changed = changedSources(req.sources);
  if (changed.length === 0) return undefined;
  const names = changed.map((path) => relative(Deno.cwd(), path)).join(", ");
  if (!warnedUncached.has(req.name)) {
    warnedUncached.add(req.name);
    req.pipeline.progress.log(
      `[cairn] ${req.name}: not cached: ${names} changed while the pipeline ran, so this process may be running code that no longer matches the files; its result is used but not cached, and the next run computes it afresh`,
    );
  }
  return `source changed while the pipeline ran: ${names}`;
};

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
