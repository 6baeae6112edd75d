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
  cacheKey,
  type ComparableComponents,
  describeChanges,
  diffComponents,
  KEY_FORMAT,
  type KeyComponents,
  keyEncoder,
  type VaryingComponents,
} from "../model/cache_key.ts";
import type { JsonValue } from "../../store/canonical_json.ts";
import { canonicalConfig, configFromCanonical } from "../model/canonical_config.ts";
import { readingCodec } from "./codecs/compat.ts";
import { type CallSite, callSiteOf, type CodeIdentity } from "../identity/code_identity.ts";
import { declareStepCode, type StepCode } from "./step_code.ts";
import {
  type Codec,
  codecOf,
  elementName,
  type InputSpec,
  type List,
  type Optional,
  type PathCodec,
  type ValueOf,
} from "./codecs/codec.ts";
import {
  CodeIdentityFailed,
  type CommandLogs,
  ConfigNotCanonical,
  InvalidStep,
  PipelineError,
  pipelineError,
} from "./errors.ts";
import { CurrentIteration, CurrentScenario, Pipeline, type PipelineApi } from "./pipeline.ts";
import { fromFileUrl } from "../identity/paths.ts";
import { LINEAGE_INDEX } from "../model/lineage_entry.ts";
import { type Body, registerStep, type StepDefinition } from "./registry.ts";
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
  readonly [K in keyof I]: I[K] extends Optional<infer C> ? ValueOf<C> | undefined
    : I[K] extends List<infer C> ? readonly ValueOf<C>[]
    : ValueOf<I[K]>;
};

/** The artifacts a step is invoked with (an array of them for a list input). */
export type InputArtifacts<I extends Record<string, InputSpec>> =
  & {
    readonly [K in keyof I as I[K] extends Optional<Codec> ? never : K]: I[K] extends List<infer C>
      ? readonly Artifact<ValueOf<C>>[]
      : Artifact<ValueOf<I[K]>>;
  }
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
export interface Step<
  I extends Record<string, InputSpec>,
  O extends Record<string, Codec>,
  C = unknown,
> {
  (inputs: InputArtifacts<I>): Effect.Effect<OutputArtifacts<O>, PipelineError, Pipeline>;
  /** The declared name. */
  readonly stepName: string;
  /**
   * The same step with its config given at invocation: `config` extends the declared
   * one (an object's members replace the declared members of the same name; any other
   * value replaces it whole), and the result enters the key exactly as a declared
   * config does — a sweep over a parameter needs no step factory.
   */
  // A method (not a function property), so a Step of any config fits a Step<I, O>.
  with(options: { readonly config: ConfigOverride<C> }): Step<I, O, C>;
}

/** What {@linkcode Step.with} takes as config: some of an object config's members, or a whole other value. */
export type ConfigOverride<C> = C extends readonly unknown[] ? C
  : C extends Record<string, unknown> ? Partial<C>
  : C;

// An object config given at invocation extends the declared one; anything else replaces it.
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) &&
  (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

const mergeConfig = (declared: unknown, given: unknown): unknown =>
  isPlainObject(declared) && isPlainObject(given) ? { ...declared, ...given } : given;

/** One invocation, as a kind of step other than a plain one (`command`) sees it. */
export interface PreparedInvocation {
  readonly pipeline: PipelineApi;
  readonly inputs: Readonly<Record<string, Artifact | undefined>>;
  /** The config of this invocation: the declared one, or as given by `with`. */
  readonly config: unknown;
  readonly iteration: number | null;
  /** For a step declared `iterationInvariant`: the iteration it was invoked in. */
  readonly invariantAt: number | null | undefined;
  readonly scenario: string | null;
}

/** What such a kind adds to an invocation: key parts, their explanation, and its miss body. */
export interface Prepared {
  /** Extra key components (see `cache_key.ts`: `argv`, `files`, `sources`, `tools`, `image`). */
  readonly key: Pick<KeyComponents, "argv" | "files" | "sources" | "tools" | "image">;
  /** Kept in the run record beside the components to explain a change; not hashed. */
  readonly details: Readonly<Record<string, JsonValue>>;
  /** Runs the invocation in its scratch directory (a miss). */
  readonly body: Body;
}

/**
 * A declared step as the shared machinery (key, hit path, miss path, records) runs it:
 * what `step` and `command` both declare.
 */
export interface StepDeclaration {
  readonly name: string;
  readonly inputSpecs: Record<string, InputSpec>;
  readonly outputSpecs: Record<string, Codec>;
  readonly config: unknown;
  readonly env: readonly string[];
  readonly iterationInvariant: boolean;
  readonly validate: "lazy" | "eager" | undefined;
  readonly site: CallSite | undefined;
  readonly code: StepCode;
  /**
   * What two declarations under one name are compared by for the namesake warning
   * (default: the code identity).
   */
  readonly sameness?: string;
  /** A plain step's `run`, or a body prepared per invocation (`command`). */
  readonly body:
    | { readonly kind: "run"; readonly run: StepOptions<never, never, unknown>["run"] }
    | {
      readonly kind: "prepared";
      readonly prepare: (
        invocation: PreparedInvocation,
      ) => Effect.Effect<Prepared, PipelineError>;
    };
}

// What a declaration fixes at its first invocation.
interface Fixed {
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
>(options: StepOptions<I, O, C>): Step<I, O, C> => {
  const site = callSiteOf(new Error().stack ?? "", LIB_DIR);
  return declareStep<I, O, C>({
    name: options.name,
    inputSpecs: options.inputs ?? {},
    outputSpecs: options.outputs,
    config: options.config,
    env: options.env ?? [],
    iterationInvariant: options.iterationInvariant ?? false,
    validate: options.validate,
    site,
    code: declareStepCode(options, site),
    body: { kind: "run", run: options.run as never },
  });
};

/** Declares a step from its definition: the machinery `step` and `command` share. */
export const declareStep = <
  I extends Record<string, InputSpec>,
  O extends Record<string, Codec>,
  C = unknown,
>(
  options: StepDeclaration,
): Step<I, O, C> => {
  const { site, inputSpecs, outputSpecs } = options;
  const signature = {
    inputs: Object.fromEntries(
      Object.entries(inputSpecs).map((
        [k, s],
      ): [string, JsonValue] => [
        k,
        // `list` only for a list input: other inputs' signatures (and keys) stay as they were.
        s._tag === "list"
          ? { codec: codecOf(s).name, optional: false, list: true }
          : { codec: codecOf(s).name, optional: s._tag === "optional" },
      ]),
    ),
    outputs: Object.fromEntries(Object.entries(outputSpecs).map(([k, c]) => [k, c.name])),
  };
  const declared = options.code;
  const address = "address" in declared ? declared.address : null;
  const definition = {};
  // The config as both the key and the run see it, fixed at the first invocation:
  // canonicalised for the key and copied for the run, so a later edit of the object the
  // caller passed can change neither.
  let fixed: Fixed | PipelineError | undefined;
  const fix = (code: CodeIdentity): Fixed | PipelineError => {
    if (fixed) return fixed;
    try {
      const canonical = canonicalConfig(options.config);
      fixed = {
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
      fixed = pipelineError(
        e instanceof ConfigNotCanonical ? e : new ConfigNotCanonical({
          path: "config",
          detail: e instanceof Error ? e.message : String(e),
        }),
      );
    }
    return fixed;
  };
  const body = options.body;
  const local = registerStep({
    name: options.name,
    address,
    ...(body.kind === "run" ? { run: body.run as NonNullable<StepDefinition["run"]> } : {
      prepare: preparedBody(options, body.prepare),
      check: checkPrepared(options, body.prepare),
    }),
    get config() {
      return fixed && !(fixed instanceof PipelineError) ? fixed.value : options.config;
    },
    inputSpecs,
    outputSpecs,
    iterationInvariant: options.iterationInvariant,
    sources: "files" in declared ? declared.files : [],
    module: site?.file ?? null,
    // A command checks itself as it prepares (its key parts are computed per invocation).
    ...(body.kind === "run" ? { keyFor } : {}),
  });
  function keyFor(invocation: StepInvocation): { key: string; difference: string } {
    {
      if ("problem" in declared) {
        return { key: "", difference: `its code identity cannot be computed: ${declared.problem}` };
      }
      const ready = fix(declared.identity);
      if (ready instanceof PipelineError) return { key: "", difference: ready.message };
      // A config given at invocation is data the key holds: the run receives exactly it.
      const config = invocation.configGiven
        ? invocation.components.config as JsonValue
        : ready.canonical;
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
        config,
        inputs: Object.fromEntries(
          Object.entries(invocation.inputs).map(([name, input]) => [name, input?.id ?? null]),
        ),
        iteration: options.iterationInvariant ? null : invocation.iteration,
        env,
      };
      const key = invocation.configGiven ? cacheKey(components) : ready.key(components);
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
    }
  }
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

  const invoke = (inputs: InputArtifacts<I>, override?: { readonly config: unknown }) =>
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
      // Every input by the name it is keyed and recorded under: a list input's
      // elements as name[0], name[1], … (an absent optional input as null).
      const inputIds: Record<string, string | null> = {};
      const flat: Record<string, Artifact | undefined> = {};
      const check = (name: string, spec: InputSpec, artifact: unknown): string | undefined => {
        if (!isArtifact(artifact)) return `input "${name}" is not an artifact handle`;
        const reading = readingCodec(codecOf(spec), artifact);
        if ("problem" in reading) return `input "${name}" cannot be read: ${reading.problem}`;
        flat[name] = artifact;
        inputIds[name] = artifact.id;
        return undefined;
      };
      for (const [name, spec] of Object.entries(inputSpecs)) {
        const artifact = given[name];
        let problem: string | undefined;
        if (spec._tag === "list") {
          if (!Array.isArray(artifact)) {
            problem = `input "${name}" is a list: give an array of artifact handles`;
          } else {
            for (const [i, element] of (artifact as unknown[]).entries()) {
              problem ??= check(elementName(name, i), spec, element);
            }
          }
        } else if (artifact === undefined || artifact === null) {
          if (spec._tag !== "optional") problem = `input "${name}" is missing`;
          else inputIds[name] = null;
        } else {
          problem = check(name, spec, artifact);
        }
        if (problem) return yield* fail(new InvalidStep({ step: options.name, detail: problem }));
      }
      const code = yield* identityOf(pipeline);
      warnOfNamesake(pipeline, options.name, definition, options.sameness ?? code.identity, site);
      const ready = fix(code);
      if (ready instanceof PipelineError) return yield* Effect.fail(ready);
      // A config given at invocation: merged over the declared one, canonicalised for
      // the key, copied for the run (a later edit of the caller's object changes neither).
      let config = ready.canonical;
      let configValue = ready.value;
      if (override) {
        try {
          const merged = mergeConfig(options.config, override.config);
          config = canonicalConfig(merged);
          configValue = structuredClone(merged);
        } catch (e) {
          return yield* fail(
            e instanceof ConfigNotCanonical ? e : new ConfigNotCanonical({
              path: "config",
              detail: e instanceof Error ? e.message : String(e),
            }),
          );
        }
      }
      const env = Object.fromEntries(options.env.map((v) => [v, Deno.env.get(v) ?? null]));
      const scenarioName = scenario?.name ?? null;
      const invariantAt = options.iterationInvariant ? current : undefined;
      pipeline.progress.stepStarted(scenarioName, options.name, iteration);
      const started = performance.now();
      // Lists the invocation in the scenario record; returns its duration.
      const note = (
        run: string | null,
        hit: boolean,
        error?: string,
        logs?: CommandLogs | null,
      ): number => {
        const durationMs = performance.now() - started;
        scenario?.invocations.push({
          step: options.name,
          iteration,
          run,
          hit,
          durationMs,
          status: error === undefined ? "ok" : "failed",
          ...(error === undefined ? {} : { error }),
          ...(logs ? { logs } : {}),
        });
        return durationMs;
      };
      const prepared = body.kind === "prepared"
        ? yield* body.prepare({
          pipeline,
          inputs: flat,
          config: configValue,
          iteration,
          invariantAt,
          scenario: scenarioName,
        }).pipe(
          // A command that cannot be prepared (a tool not found) is listed as failed.
          Effect.tapError((error) => Effect.sync(() => note(null, false, error.message))),
        )
        : undefined;
      const components: KeyComponents = {
        format: KEY_FORMAT,
        step: options.name,
        signature,
        code: { mode: code.mode, identity: code.identity },
        config,
        inputs: inputIds,
        iteration,
        env,
        ...prepared?.key,
      };
      // A command's parts vary per invocation: its key is computed whole.
      const key = prepared || override ? cacheKey(components) : ready.key(components);
      const recorded = { ...components, ...prepared?.details, code };
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
        yield* explainMiss(pipeline, options.name, iteration, key, recorded);
      }
      if (prepared) pending.set(pendingKey(key, scenarioName, iteration), prepared);
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
      // With a remote cache, the inputs' bytes come down before the step runs (wherever
      // it runs): exactly what its decoding needs, in one parallel download.
      const remote = pipeline.remote;
      const inputsHere = remote
        ? Effect.mapError(
          remote.fetch(
            Object.values(flat).flatMap((a) => (a ? [{ id: a.id, kind: a.kind }] : [])),
          ),
          storeFailure,
        )
        : Effect.void;
      const compute = Effect.andThen(
        inputsHere,
        executor.execute({
          address,
          local,
          step: options.name,
          inputs: invocationInputs(inputIds, flat),
          iteration,
          invokedAt: current,
          scenario: scenarioName,
          key,
          components: recorded,
          ...(override ? { configGiven: true } : {}),
        }),
      ).pipe(span("cairn.miss", { step: options.name, executor: executor.name }));
      // Computed once however many invocations of the key are in flight, here or in
      // other processes on this store; the others take it as a hit.
      const result = yield* singleFlight({
        pipeline,
        key,
        label: label(options.name, iteration),
        lookup,
        compute,
      }).pipe(
        Effect.tapError((error) =>
          Effect.sync(() => note(null, false, error.message, logsOf(error)))
        ),
        Effect.ensuring(
          Effect.sync(() => pending.delete(pendingKey(key, scenarioName, iteration))),
        ),
      );
      if (result.hit) return hitOf(result.run);
      // Write-through: uploaded in the background, awaited when the run's layer closes.
      if (remote) yield* remote.written(key, result.run.run);
      const ms = note(result.run.run, false);
      pipeline.progress.stepFinished(scenarioName, options.name, iteration, false, ms);
      return handles(result.run.outputs, result.run.run) as OutputArtifacts<O>;
    });

  const traced = (inputs: InputArtifacts<I>, override?: { readonly config: unknown }) =>
    invoke(inputs, override).pipe(
      span("cairn.step", { step: options.name }),
    );
  const withConfig = (override: { readonly config: unknown }): Step<I, O, C> =>
    Object.assign((inputs: InputArtifacts<I>) => traced(inputs, override), {
      stepName: options.name,
      with: (next: { readonly config: unknown }) =>
        withConfig({ config: mergeConfig(override.config, next.config) }),
    });
  return Object.assign((inputs: InputArtifacts<I>) => traced(inputs), {
    stepName: options.name,
    with: withConfig,
  });
};

// Two declarations under one name whose code differs: both stay correct (their keys
// differ), but runs, lineage and `why` group runs by name. Said once a name. One
// declaration made several times with other inputs or config (a factory) is the same
// code, and is not warned of.
const warnOfNamesake = (
  pipeline: PipelineApi,
  name: string,
  definition: object,
  identity: string,
  site: { readonly file: string; readonly line: number } | undefined,
): void => {
  const known = pipeline.stepNames.get(name);
  if (known?.definition === definition || known?.warned) return;
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

// A command's body prepared with its key, for the executor of this process to run: the
// one whose key parts were computed (prepared again, its command line and sources could
// differ). Keyed by the invocation (two concurrent ones with one key share a body).
const pending = new Map<string, Prepared>();

const pendingKey = (key: string, scenario: string | null, iteration: number | null) =>
  `${key}\0${scenario}\0${iteration}`;

// A command prepared afresh from an invocation another process keyed: its body, or what
// differs from the key parts it was keyed with (the run would be recorded under a key
// that does not describe it).
const prepareAgain = (
  declaration: StepDeclaration,
  prepare: (invocation: PreparedInvocation) => Effect.Effect<Prepared, PipelineError>,
  invocation: StepInvocation,
  pipeline: PipelineApi,
): Effect.Effect<{ readonly body: Body } | { readonly difference: string }, PipelineError> =>
  Effect.gen(function* () {
    const inputs = Object.fromEntries(
      Object.entries(invocation.inputs).map(([name, a]) => [name, a ?? undefined]),
    );
    const again = yield* prepare({
      pipeline,
      inputs,
      config: invocation.configGiven
        ? configFromCanonical(invocation.components.config as JsonValue)
        : declaration.config,
      iteration: invocation.iteration,
      invariantAt: declaration.iterationInvariant ? invocation.invokedAt : undefined,
      scenario: invocation.scenario,
    });
    const keyed = comparable(invocation.components);
    const changes = diffComponents(keyed, { ...keyed, ...again.key });
    return changes.length > 0
      ? { difference: describeChanges(changes).join("; ") }
      : { body: again.body };
  });

// The executor's side of a command: the body prepared with its key, when the invocation
// comes from this process (or was checked here, see checkPrepared); else prepared
// afresh from the invocation, and refused when it differs from what the key holds.
const preparedBody = (
  declaration: StepDeclaration,
  prepare: (invocation: PreparedInvocation) => Effect.Effect<Prepared, PipelineError>,
) =>
(invocation: StepInvocation, pipeline: PipelineApi): Effect.Effect<Body, PipelineError> =>
  Effect.gen(function* () {
    const slot = pendingKey(invocation.key, invocation.scenario, invocation.iteration);
    const checked = checkedBodies.get(slot);
    if (checked) {
      checkedBodies.delete(slot);
      return checked;
    }
    const ready = pending.get(slot);
    if (ready) return ready.body;
    const again = yield* prepareAgain(declaration, prepare, invocation, pipeline);
    if ("body" in again) return again.body;
    return yield* Effect.fail(
      pipelineError(
        new InvalidStep({
          step: declaration.name,
          detail:
            `its command here differs from the one its key was computed with (${again.difference}); run it where it was invoked, or make the executor's machine match`,
        }),
      ),
    );
  });

// Bodies a worker prepared while checking an invocation (see checkPrepared), kept for the
// execution that follows the check.
const checkedBodies = new Map<string, Body>();

// A worker's check of a command before it runs one another process keyed: undefined
// when its command here is the keyed one (the body is kept for the run), else what
// differs — the worker then refuses the invocation, which runs where it was keyed.
const checkPrepared = (
  declaration: StepDeclaration,
  prepare: (invocation: PreparedInvocation) => Effect.Effect<Prepared, PipelineError>,
) =>
(invocation: StepInvocation, pipeline: PipelineApi): Effect.Effect<string | undefined> =>
  prepareAgain(declaration, prepare, invocation, pipeline).pipe(
    Effect.map((again) => {
      if ("difference" in again) return `its command here differs (${again.difference})`;
      checkedBodies.set(
        pendingKey(invocation.key, invocation.scenario, invocation.iteration),
        again.body,
      );
      return undefined;
    }),
    // A command that cannot be prepared here (a tool missing) fails as it runs.
    Effect.orElseSucceed(() => undefined),
  );

// An invocation's components as diffComponents compares them (every part, as it is).
const comparable = (c: StepInvocation["components"]): ComparableComponents => ({
  format: c.format,
  step: c.step,
  signature: c.signature,
  config: c.config,
  inputs: c.inputs,
  iteration: c.iteration,
  env: c.env,
  ...c,
});

// The captured streams of a failed command, listed with its invocation in the scenario
// record (which links them, so gc keeps them): `cairn logs <scenario> <step@i>`.
const logsOf = (error: PipelineError): CommandLogs | null =>
  error.reason._tag === "CommandFailed" ? error.reason.logs : null;
// The invocation's inputs: every declared input, an absent optional one as null.
const invocationInputs = (
  ids: Record<string, string | null>,
  given: Record<string, Artifact | undefined>,
): StepInvocation["inputs"] =>
  Object.fromEntries(
    Object.keys(ids).map((name) => {
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
/**
 * The cache entry of `key` when the run it names is a run of that key whose outputs
 * are present (all of them re-checked with `validate: "eager"`); undefined otherwise.
 * What a hit reuses, and what a cluster runner answers a redelivered message with.
 */
export const usable = (
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
  components: ComparableComponents,
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
