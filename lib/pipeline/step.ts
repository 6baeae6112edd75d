/**
 * `step`: declare a unit of work; invoking it returns an Effect that either
 * reuses a recorded run (a cache hit) or runs the work and records it (a miss).
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { dirname } from "node:path";
import type { ObjectId } from "../../store/object_id.ts";
import type { StoreError } from "../../store/errors.ts";
import type { Artifact, ArtifactRef } from "../model/artifact.ts";
import {
  describeChanges,
  diffComponents,
  KEY_FORMAT,
  type KeyComponents,
  keyEncoder,
  type VaryingComponents,
} from "../model/cache_key.ts";
import type { JsonValue } from "../../store/canonical_json.ts";
import { canonicalConfig } from "../model/canonical_config.ts";
import { callSiteOf, type CodeIdentity } from "../identity/code_identity.ts";
import { declareStepCode } from "./step_code.ts";
import {
  type Codec,
  codecOf,
  type InputSpec,
  type Optional,
  type PathCodec,
  type ValueOf,
} from "./codecs/codec.ts";
import {
  CodeIdentityFailed,
  ConfigNotCanonical,
  InvalidStep,
  PipelineError,
  pipelineError,
} from "./errors.ts";
import { CurrentIteration, CurrentScenario, Pipeline, type PipelineApi } from "./pipeline.ts";
import { fromFileUrl } from "../identity/paths.ts";
import { LINEAGE_INDEX } from "../model/lineage_entry.ts";
import { registerStep, type StepDefinition } from "./registry.ts";
import type { StepInvocation } from "../model/step_invocation.ts";
import type { StepContext } from "./step_context.ts";

export type { StepContext };
import { CACHE_INDEX, decodeCacheValue } from "../model/cache_entry.ts";
import { type KeyedRun, singleFlight } from "./single_flight.ts";

// A span for a trace of where time goes; no stack trace is captured (on the hit path
// that would cost more than the rest of the span).
const span = (name: string, attributes: Record<string, unknown>) =>
  Effect.withSpan(name, { attributes }, { captureStackTrace: false });
import { decodeRunRecord, type RunRecord } from "../model/run_record.ts";

const LIB_DIR = dirname(fromFileUrl(import.meta.url));

/** Decoded inputs, as `run` receives them. */
export type DecodedInputs<I extends Record<string, InputSpec>> = {
  readonly [K in keyof I]: I[K] extends Optional<infer C> ? ValueOf<C> | undefined : ValueOf<I[K]>;
};

/** The artifacts a step is invoked with. */
export type InputArtifacts<I extends Record<string, InputSpec>> =
  & { readonly [K in keyof I as I[K] extends Optional<Codec> ? never : K]: Artifact<ValueOf<I[K]>> }
  & { readonly [K in keyof I as I[K] extends Optional<Codec> ? K : never]?: Artifact | undefined };

/** What `run` returns: values for value codecs; path codecs may be omitted (written to `outDir`). */
export type OutputValues<O extends Record<string, Codec>> =
  & { readonly [K in keyof O as O[K] extends PathCodec ? never : K]: ValueOf<O[K]> }
  & { readonly [K in keyof O as O[K] extends PathCodec ? K : never]?: string };

/** The artifacts a step invocation yields. */
export type OutputArtifacts<O extends Record<string, Codec>> = {
  readonly [K in keyof O]: Artifact<ValueOf<O[K]>>;
};

/** What `run` may return: values, a Promise of them, or an Effect of them. */
export type RunResult<T> = T | Promise<T> | Effect.Effect<T, unknown, never>;

/** A step declaration. */
export interface StepOptions<
  I extends Record<string, InputSpec>,
  O extends Record<string, Codec>,
  C,
> {
  /** Unique, stable name (letters, digits, `_`, `-`, `.`). */
  readonly name: string;
  /** Declared inputs: name → codec (or `optional(codec)`). */
  readonly inputs?: I;
  /** Declared outputs: name → codec. */
  readonly outputs: O;
  /** Plain data, canonicalised and hashed into the key. */
  readonly config?: C;
  /** Environment variables whose values enter the key. */
  readonly env?: readonly string[];
  /** An explicit code version; replaces the automatic code identity. */
  readonly version?: string;
  /** `module`: identify the code by its whole module and imports (coarse). */
  readonly code?: "auto" | "module";
  /** Leave the iteration index out of the key (the step never reads `ctx.iteration`). */
  readonly iterationInvariant?: boolean;
  /** `eager`: re-check a cache hit's outputs before reuse. */
  readonly validate?: "lazy" | "eager";
  /** The work: receives decoded inputs, the config and a context; returns the outputs (a value, a Promise or an Effect of them). */
  readonly run: (
    inputs: DecodedInputs<I>,
    config: C,
    ctx: StepContext,
  ) => RunResult<OutputValues<O>>;
}

/** A declared step: call it with input artifacts. */
export interface Step<I extends Record<string, InputSpec>, O extends Record<string, Codec>> {
  (inputs: InputArtifacts<I>): Effect.Effect<OutputArtifacts<O>, PipelineError, Pipeline>;
  /** The declared name. */
  readonly stepName: string;
}

// What a declaration fixes at its first invocation.
interface Prepared {
  /** The config `run` receives: a copy of the declared one. */
  readonly value: unknown;
  readonly canonical: JsonValue;
  readonly key: (varying: VaryingComponents) => string;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.\-]*$/;

const isArtifact = (value: unknown): value is Artifact =>
  typeof value === "object" && value !== null && typeof (value as Artifact).id === "string" &&
  /^[0-9a-f]{64}$/.test((value as Artifact).id);

const fail = (reason: ConstructorParameters<typeof PipelineError>[0]["reason"]) =>
  Effect.fail(pipelineError(reason));

const storeFailure = (e: StoreError) => pipelineError(e);

/**
 * Declares a step.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict"
 * import { Effect } from "effect"
 * import { Json, Pipeline, step } from "cairn"
 *
 * const seed = step({ name: "seed", outputs: { x: Json }, run: () => ({ x: 21 }) })
 * const double = step({
 *   name: "double",
 *   inputs: { x: Json },
 *   outputs: { y: Json },
 *   config: { factor: 2 },
 *   run: ({ x }, config) => ({ y: x * config.factor }),
 * })
 *
 * const y = await Effect.runPromise(
 *   Effect.gen(function* () {
 *     const { x } = yield* seed({})
 *     const { y } = yield* double({ x })
 *     const { store } = yield* Pipeline
 *     return JSON.parse(new TextDecoder().decode(yield* store.readBlob(y.id)))
 *   }).pipe(Effect.provide(Pipeline.layerTemp)),
 * )
 * assert.equal(y, 42)
 * ```
 */
export const step = <
  const I extends Record<string, InputSpec> = Record<never, never>,
  const O extends Record<string, Codec> = Record<string, Codec>,
  C = undefined,
>(options: StepOptions<I, O, C>): Step<I, O> => {
  const site = callSiteOf(new Error().stack ?? "", LIB_DIR);
  const inputSpecs: Record<string, InputSpec> = options.inputs ?? {};
  const outputSpecs: Record<string, Codec> = options.outputs;
  const signature = {
    inputs: Object.fromEntries(
      Object.entries(inputSpecs).map((
        [k, s],
      ) => [k, { codec: codecOf(s).name, optional: s._tag === "optional" }]),
    ),
    outputs: Object.fromEntries(Object.entries(outputSpecs).map(([k, c]) => [k, c.name])),
  };
  const declared = declareStepCode(options, site);
  const address = "address" in declared ? declared.address : null;
  const definition = {};
  // The config as both the key and the run see it, fixed at the first invocation:
  // canonicalised for the key and copied for the run, so a later edit of the object the
  // caller passed can change neither.
  let prepared: Prepared | PipelineError | undefined;
  const prepare = (code: CodeIdentity): Prepared | PipelineError => {
    if (prepared) return prepared;
    try {
      const canonical = canonicalConfig(options.config);
      prepared = {
        value: options.config === undefined ? undefined : structuredClone(options.config),
        key: keyEncoder({
          format: KEY_FORMAT,
          step: options.name,
          signature,
          code: { mode: code.mode, identity: code.identity },
          config: canonical,
        }),
        canonical,
      };
    } catch (e) {
      prepared = pipelineError(
        e instanceof ConfigNotCanonical ? e : new ConfigNotCanonical({
          path: "config",
          detail: e instanceof Error ? e.message : String(e),
        }),
      );
    }
    return prepared;
  };
  const local = registerStep({
    name: options.name,
    address,
    run: options.run as StepDefinition["run"],
    get config() {
      return prepared && !(prepared instanceof PipelineError) ? prepared.value : options.config;
    },
    inputSpecs,
    outputSpecs,
    iterationInvariant: options.iterationInvariant ?? false,
    sources: "files" in declared ? declared.files : [],
    module: site?.file ?? null,
    keyFor: (invocation) => {
      if ("problem" in declared) {
        return { key: "", difference: `its code identity cannot be computed: ${declared.problem}` };
      }
      const ready = prepare(declared.identity);
      if (ready instanceof PipelineError) return { key: "", difference: ready.message };
      const sent = invocation.components.env;
      const env = Object.fromEntries((options.env ?? []).map((v) => {
        const value = typeof sent === "object" && sent !== null
          ? (sent as Record<string, unknown>)[v]
          : undefined;
        return [v, typeof value === "string" ? value : null];
      }));
      const components: KeyComponents = {
        format: KEY_FORMAT,
        step: options.name,
        signature,
        code: { mode: declared.identity.mode, identity: declared.identity.identity },
        config: ready.canonical,
        inputs: Object.fromEntries(
          Object.entries(invocation.inputs).map(([name, input]) => [name, input?.id ?? null]),
        ),
        iteration: options.iterationInvariant ? null : invocation.iteration,
        env,
      };
      const key = ready.key(components);
      const difference = key === invocation.key ? "" : describeChanges(
        diffComponents(
          {
            format: invocation.components.format,
            step: invocation.components.step,
            signature: invocation.components.signature,
            config: invocation.components.config,
            inputs: invocation.components.inputs,
            iteration: invocation.components.iteration,
            env: invocation.components.env,
            code: invocation.components.code,
          },
          { ...components, code: declared.identity },
        ),
      ).join("; ") || "the key format differs";
      return { key, difference };
    },
  });
  let fallbacksLogged = false;
  let localNoted = false;

  const identityOf = (pipeline: PipelineApi): Effect.Effect<CodeIdentity, PipelineError> => {
    if ("problem" in declared) {
      return Effect.fail(
        pipelineError(new CodeIdentityFailed({ step: options.name, detail: declared.problem })),
      );
    }
    if (pipeline.debug && !fallbacksLogged) {
      fallbacksLogged = true;
      for (const f of declared.fallbacks) {
        pipeline.progress.log(
          `[cairn] code ${options.name}: ${f.unit} counts whole (${f.reason})`,
        );
      }
    }
    return Effect.succeed(declared.identity);
  };

  const invoke = (inputs: InputArtifacts<I>) =>
    Effect.gen(function* () {
      if (!NAME.test(options.name)) {
        return yield* fail(
          new InvalidStep({ step: options.name, detail: "names use letters, digits, _ - . only" }),
        );
      }
      const pipeline = yield* Pipeline;
      const scenario = yield* CurrentScenario;
      const current = yield* CurrentIteration;
      const iteration = options.iterationInvariant ? null : current;
      const given = (inputs ?? {}) as Record<string, Artifact | undefined>;
      for (const name of Object.keys(given)) {
        if (!(name in inputSpecs)) {
          return yield* fail(
            new InvalidStep({ step: options.name, detail: `it has no input "${name}"` }),
          );
        }
      }
      const inputIds: Record<string, string | null> = {};
      for (const [name, spec] of Object.entries(inputSpecs)) {
        const artifact = given[name];
        if (artifact === undefined || artifact === null) {
          if (spec._tag !== "optional") {
            return yield* fail(
              new InvalidStep({ step: options.name, detail: `input "${name}" is missing` }),
            );
          }
          inputIds[name] = null;
        } else if (!isArtifact(artifact)) {
          return yield* fail(
            new InvalidStep({
              step: options.name,
              detail: `input "${name}" is not an artifact handle`,
            }),
          );
        } else {
          inputIds[name] = artifact.id;
        }
      }
      const code = yield* identityOf(pipeline);
      warnOfNamesake(pipeline, options.name, definition, code, site);
      const ready = prepare(code);
      if (ready instanceof PipelineError) return yield* Effect.fail(ready);
      const env = Object.fromEntries((options.env ?? []).map((v) => [v, Deno.env.get(v) ?? null]));
      const components: KeyComponents = {
        format: KEY_FORMAT,
        step: options.name,
        signature,
        code: { mode: code.mode, identity: code.identity },
        config: ready.canonical,
        inputs: inputIds,
        iteration,
        env,
      };
      const key = ready.key(components);
      const scenarioName = scenario?.name ?? null;
      pipeline.progress.stepStarted(scenarioName, options.name, iteration);
      const started = performance.now();
      // Lists the invocation in the scenario record; returns its duration.
      const note = (run: string | null, hit: boolean, error?: string): number => {
        const durationMs = performance.now() - started;
        scenario?.invocations.push({
          step: options.name,
          iteration,
          run,
          hit,
          durationMs,
          status: error === undefined ? "ok" : "failed",
          ...(error === undefined ? {} : { error }),
        });
        return durationMs;
      };
      const cache = pipeline.store.index(CACHE_INDEX);
      // The key's usable run in the cache, if there is one.
      const lookup = Effect.gen(function* () {
        const cached = yield* Effect.mapError(cache.get(key), storeFailure);
        const entry = cached === undefined ? undefined : decodeCacheValue(cached);
        return entry &&
          (yield* usable(pipeline, entry, key, options.validate).pipe(
            span("cairn.hit", { step: options.name }),
          ));
      });
      const hitOf = (hit: KeyedRun) => {
        const ms = note(hit.run, true);
        pipeline.progress.stepFinished(scenarioName, options.name, iteration, true, ms);
        if (pipeline.debug) {
          pipeline.progress.log(
            `[cairn] hit  ${label(options.name, iteration)} key ${key.slice(0, 12)}`,
          );
        }
        return handles(hit.outputs, hit.run) as OutputArtifacts<O>;
      };
      const hit = yield* lookup;
      if (hit) return hitOf(hit);

      if (pipeline.debug) {
        yield* explainMiss(pipeline, options.name, iteration, key, { ...components, code });
      }
      // A remote executor cannot find a step made at run time: it runs here.
      const executor = address === null && pipeline.executor.remote
        ? pipeline.local
        : pipeline.executor;
      if (executor !== pipeline.executor && pipeline.debug && !localNoted) {
        localNoted = true;
        pipeline.progress.log(
          `[cairn] ${options.name} runs in the pipeline process, not in ${pipeline.executor.name}: it was made at run time, so it has no address a worker could find it by (declare it at module level to run it there)`,
        );
      }
      const compute = executor.execute({
        address,
        local,
        step: options.name,
        inputs: invocationInputs(inputSpecs, given),
        iteration,
        invokedAt: current,
        scenario: scenarioName,
        key,
        components: { ...components, code },
      }).pipe(span("cairn.miss", { step: options.name, executor: executor.name }));
      // Computed once however many invocations of the key are in flight, here or in
      // other processes on this store; the others take it as a hit.
      const result = yield* singleFlight(
        pipeline,
        key,
        label(options.name, iteration),
        lookup,
        compute,
      ).pipe(Effect.tapError((error) => Effect.sync(() => note(null, false, error.message))));
      if (result.hit) return hitOf(result.run);
      const ms = note(result.run.run, false);
      pipeline.progress.stepFinished(scenarioName, options.name, iteration, false, ms);
      return handles(result.run.outputs, result.run.run) as OutputArtifacts<O>;
    });

  const traced = (inputs: InputArtifacts<I>) =>
    invoke(inputs).pipe(
      span("cairn.step", { step: options.name }),
    );
  return Object.assign(traced, { stepName: options.name });
};

// Two declarations under one name whose code differs: both stay correct (their keys
// differ), but runs, lineage and `why` group runs by name. Said once a name. One
// declaration made several times with other inputs or config (a factory) is the same
// code, and is not warned of.
const warnOfNamesake = (
  pipeline: PipelineApi,
  name: string,
  definition: object,
  code: CodeIdentity,
  site: { readonly file: string; readonly line: number } | undefined,
): void => {
  const known = pipeline.stepNames.get(name);
  if (known?.definition === definition || known?.warned) return;
  const identity = code.identity;
  const where = site ? `${site.file}:${site.line}` : "(a place that is not a file)";
  if (!known) {
    pipeline.stepNames.set(name, { definition, identity, where, warned: false });
    return;
  }
  if (known.identity === identity) return;
  known.warned = true;
  pipeline.progress.log(
    `[cairn] two different steps are named "${name}" (${known.where} and ${where}): both stay correct, since their keys differ, but runs, lineage and why list them as one step; give one of them another name`,
  );
};

// The invocation's inputs: every declared input, an absent optional one as null.
const invocationInputs = (
  specs: Record<string, InputSpec>,
  given: Record<string, Artifact | undefined>,
): StepInvocation["inputs"] =>
  Object.fromEntries(
    Object.keys(specs).map((name) => {
      const a = given[name];
      return [
        name,
        a
          ? {
            id: a.id,
            kind: a.kind,
            codec: a.codec,
            size: a.size,
            name: a.name,
            producer: a.producer,
          }
          : null,
      ];
    }),
  );

const label = (
  name: string,
  iteration: number | null,
) => (iteration === null ? name : `${name}@${iteration}`);

const handles = (outputs: Record<string, ArtifactRef>, run: ObjectId): Record<string, Artifact> =>
  Object.fromEntries(
    Object.entries(outputs).map(([name, o]) => [name, { ...o, name, producer: run }]),
  );

// A cache entry is a hit only when its run record is present and is a run of this very
// key, and every output it names is present — an output set aside as damaged, or swept
// by a gc that was killed half-way, makes the entry a miss, never an error. With eager
// validation every output is re-hashed, a tree with all its members.
const usable = (
  pipeline: PipelineApi,
  entry: { run: ObjectId; outputs: Record<string, ArtifactRef> },
  key: string,
  validate: "lazy" | "eager" | undefined,
) =>
  Effect.gen(function* () {
    const store = pipeline.store;
    const ids = [entry.run, ...Object.values(entry.outputs).map((o) => o.id)];
    // Protected before anything is read: what is present now survives a concurrent gc.
    if (!(yield* Effect.mapError(store.protect(ids), storeFailure))) return undefined;
    const record = decodeRunRecord(
      yield* Effect.orElseSucceed(store.readRecord(entry.run), () => undefined),
    );
    if (
      record?.key !== key || record.uncached !== undefined ||
      !sameOutputs(record.outputs, entry.outputs)
    ) {
      if (pipeline.debug) {
        pipeline.progress.log(
          `[cairn] cache entry of key ${key.slice(0, 12)} names ${entry.run.slice(0, 12)}, ` +
            "which is not a run of this key: ignored",
        );
      }
      return undefined;
    }
    if ((validate ?? pipeline.validate) === "eager") {
      for (const output of Object.values(entry.outputs)) {
        const intact = yield* Effect.orElseSucceed(
          store.verify(output.id, output.kind),
          () => false,
        );
        if (!intact) return undefined;
      }
    }
    return entry;
  });

// The outputs a run record lists are the ones its cache entry names.
const sameOutputs = (
  recorded: RunRecord["outputs"],
  named: Record<string, ArtifactRef>,
): boolean => {
  const names = Object.keys(named);
  return Object.keys(recorded).length === names.length &&
    names.every((n) => recorded[n]?.id === named[n]!.id && recorded[n]?.kind === named[n]!.kind);
};

const explainMiss = (
  pipeline: PipelineApi,
  name: string,
  iteration: number | null,
  key: string,
  components: KeyComponents & { code: CodeIdentity },
) =>
  Effect.gen(function* () {
    const runs = yield* Effect.orElseSucceed(
      pipeline.store.index(LINEAGE_INDEX).getAll(`step:${name}`),
      () => [] as string[],
    );
    // The nearest earlier run: the newest of the same iteration, else the newest.
    const same = [...runs].reverse().find((v) => v.split(" ")[1] === String(iteration));
    const newest = same ?? runs[runs.length - 1];
    const previous = newest?.split(" ", 1)[0];
    const record = previous
      ? decodeRunRecord(
        yield* Effect.orElseSucceed(pipeline.store.readRecord(previous), () => undefined),
      )
      : undefined;
    const before = record?.components;
    const lines = before
      ? describeChanges(diffComponents(before, components))
      : ["first run of this step"];
    pipeline.progress.log(
      `[cairn] miss ${label(name, iteration)} key ${key.slice(0, 12)}: ${
        lines.length ? lines.join("; ") : "same key as the last run (its entry was dropped)"
      }`,
    );
  });
