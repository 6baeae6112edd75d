// The miss path of a step: decode inputs, run, ingest outputs, record the run.
import * as Effect from "effect/Effect";
import { hostname } from "node:os";
import type { ObjectId } from "../store/object_id.ts";
import { removeTree } from "../store/remove_tree.ts";
import type { StoreError } from "../store/errors.ts";
import type { Artifact, ArtifactRef } from "./artifact.ts";
import type { KeyComponents } from "./cache_key.ts";
import type { CodeIdentity } from "./code_identity.ts";
import { type Codec, codecOf, type InputSpec } from "./codecs/codec.ts";
import { CodecFailed, type PipelineError, pipelineError, StepFailed } from "./errors.ts";
import type { PipelineApi } from "./pipeline.ts";
import type { StepContext } from "./step.ts";
import { encodeCacheValue, LINEAGE_INDEX, lineageEntries } from "./run_summary.ts";

export { LINEAGE_INDEX };

export interface ExecuteRequest {
  readonly pipeline: PipelineApi;
  readonly name: string;
  readonly run: (inputs: Record<string, unknown>, config: unknown, ctx: StepContext) => unknown;
  readonly config: unknown;
  readonly inputSpecs: Record<string, InputSpec>;
  readonly outputSpecs: Record<string, Codec>;
  readonly inputs: Record<string, Artifact | undefined>;
  readonly iteration: number | null;
  readonly scenario: string | null;
  readonly components: KeyComponents & { readonly code: CodeIdentity };
  readonly key: string;
}

let scratchCounter = 0;

// A step's scratch directory (`in/` for materialized inputs, `out/` for `ctx.outDir`),
// made on first use: a step with value inputs and outputs that never reads
// `ctx.outDir` needs none, and where mkdir and rmdir are slow they cost more than the
// rest of a miss.
interface Scratch {
  readonly dir: string;
  /** Makes the directory if it is not yet made; returns its path. */
  readonly make: () => string;
  readonly made: () => boolean;
}

const scratchIn = (root: string): Scratch => {
  const dir = `${root}/tmp/run-${Deno.pid}-${Date.now().toString(36)}-${scratchCounter++}`;
  let made = false;
  return {
    dir,
    make: () => {
      if (!made) {
        Deno.mkdirSync(`${dir}/in`, { recursive: true });
        Deno.mkdirSync(`${dir}/out`);
        made = true;
      }
      return dir;
    },
    made: () => made,
  };
};

const storeFailure = (e: StoreError) => pipelineError(e);

// Looked up once: the call is a syscall, and a record's host is informational.
let host: string | undefined;
const hostOf = () => (host ??= hostname());

/** Runs a step that missed the cache and records it; returns the run id and outputs. */
export const executeStep = (
  req: ExecuteRequest,
): Effect.Effect<{ run: ObjectId; outputs: Record<string, ArtifactRef> }, PipelineError> =>
  Effect.acquireUseRelease(
    // Start this process's writer session (no roots) before the scratch directory can
    // exist: gc spares what is younger than a live session's start, so it leaves the
    // directory alone while we live, and removes it once old if we are killed.
    Effect.mapError(req.pipeline.store.protect([]), storeFailure).pipe(
      Effect.map(() => scratchIn(req.pipeline.store.root)),
    ),
    (scratch) => execute(req, scratch),
    (scratch) =>
      Effect.sync(() => {
        if (scratch.made()) removeTree(scratch.dir);
      }).pipe(Effect.ignore),
  );

const stepFailed = (req: ExecuteRequest, cause: unknown) =>
  pipelineError(new StepFailed({ step: req.name, iteration: req.iteration, cause }));

const execute = (req: ExecuteRequest, scratch: Scratch) =>
  Effect.gen(function* () {
    const { store } = req.pipeline;
    const startedAt = new Date();
    const t0 = performance.now();

    // Decode inputs: values for value codecs, materialized paths for File/Dir.
    const decoded: Record<string, unknown> = {};
    const paths = new Map<string, string>();
    for (const [name, spec] of Object.entries(req.inputSpecs)) {
      const artifact = req.inputs[name];
      if (!artifact) {
        decoded[name] = undefined;
        continue;
      }
      const codec = codecOf(spec);
      if (codec._tag === "path") {
        const path = `${scratch.make()}/in/${name}`;
        yield* Effect.mapError(
          store.materialize(artifact.id, path, { kind: artifact.kind }),
          storeFailure,
        );
        paths.set(name, path);
        decoded[name] = path;
      } else {
        const bytes = yield* Effect.mapError(store.readBlob(artifact.id), storeFailure);
        decoded[name] = yield* Effect.tryPromise({
          try: async () => await codec.decode(bytes),
          catch: (e) =>
            pipelineError(
              new CodecFailed({
                codec: codec.name,
                artifact: `input "${name}" of step "${req.name}"`,
                detail: `decode failed: ${message(e)}`,
              }),
            ),
        });
      }
    }

    const ctx: StepContext = {
      step: req.name,
      iteration: req.iteration,
      scenario: req.scenario,
      get outDir() {
        return `${scratch.make()}/out`;
      },
      path: (name) => {
        const known = paths.get(name);
        if (known) return known;
        const artifact = req.inputs[name];
        if (!artifact) {
          throw new Error(`step "${req.name}" has no input "${name}" in this invocation`);
        }
        const path = `${scratch.make()}/in/${name}`;
        Effect.runSync(store.materialize(artifact.id, path, { kind: artifact.kind }));
        paths.set(name, path);
        return path;
      },
      log: (line) => req.pipeline.progress.log(`[${req.name}] ${line}`),
    };

    // Run: a value, a Promise or an Effect; anything thrown or failed is StepFailed.
    const raw = yield* Effect.try({
      try: () => req.run(decoded, req.config, ctx),
      catch: (e) => stepFailed(req, e),
    });
    const value = Effect.isEffect(raw)
      ? yield* Effect.mapError(raw as Effect.Effect<unknown, unknown>, (e) => stepFailed(req, e))
      : raw instanceof Promise
      ? yield* Effect.tryPromise({ try: () => raw, catch: (e) => stepFailed(req, e) })
      : raw;
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

    // Ingest outputs.
    const outputs: Record<string, ArtifactRef> = {};
    for (const [name, codec] of Object.entries(req.outputSpecs)) {
      if (codec._tag === "value") {
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
      const path = typeof given === "string" ? given : `${ctx.outDir}/${name}`;
      const info = yield* Effect.try({
        try: () => Deno.lstatSync(path),
        catch: () =>
          stepFailed(
            req,
            new Error(
              `it did not write output "${name}" (expected ${
                codec.kind === "tree" ? "a directory" : "a file"
              } at ${path})`,
            ),
          ),
      });
      const move = path.startsWith(scratch.dir + "/");
      if (codec.kind === "tree") {
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
    for (const name of Object.keys(req.inputSpecs)) {
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
    const record = yield* Effect.mapError(
      store.putRecord({
        type: "run",
        step: req.name,
        key: req.key,
        components: req.components as never,
        inputs: inputs as never,
        outputs: outputs as never,
        iteration: req.iteration,
        scenario: req.scenario,
        startedAt: startedAt.toISOString(),
        endedAt: endedAt.toISOString(),
        durationMs,
        host: hostOf(),
        status: "ok",
        links: [...links].sort(),
      }),
      storeFailure,
    );
    const run = record.id;
    yield* Effect.mapError(
      Effect.gen(function* () {
        // Lineage first, then the cache entry: whatever can be found in the cache
        // can also be traced.
        yield* store.index(LINEAGE_INDEX).appendMany(lineageEntries(run, {
          step: req.name,
          iteration: req.iteration,
          scenario: req.scenario,
          startedAt: startedAt.toISOString(),
          durationMs,
          inputs,
          outputs,
        }));
        yield* store.index("cache").append(req.key, encodeCacheValue(run, outputs));
      }),
      storeFailure,
    );
    return { run, outputs };
  });

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
