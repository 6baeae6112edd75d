/**
 * The interpreter's service: the store, per-process caches, progress, and the
 * fiber-local references that tell a step which scenario and iteration it runs in.
 *
 * @module
 */
import * as Context from "effect/Context";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import { ObjectStore } from "../../store/object_store.ts";
import type { StoreError } from "../../store/errors.ts";
import { makeProgress } from "./progress.ts";
import { Executor } from "./executor.ts";
import { inProcess } from "./execute.ts";
import { RemoteCache } from "../remote/remote_cache.ts";
import type { PipelineApi, PipelineOptions, ScenarioState } from "./pipeline_api.ts";

export type {
  InFlight,
  Invocation,
  KeyedRun,
  LoopOutcome,
  PipelineApi,
  PipelineOptions,
  ScenarioState,
  StepNameUse,
} from "./pipeline_api.ts";

/** Which scenario the current fiber runs in (null outside any scenario). */
export const CurrentScenario: Context.Reference<ScenarioState | null> = Context.Reference<
  ScenarioState | null
>("cairn/CurrentScenario", {
  defaultValue: () => null,
});

/** Which iteration the current fiber runs in (null outside `iterate`). */
export const CurrentIteration: Context.Reference<number | null> = Context.Reference<
  number | null
>("cairn/CurrentIteration", {
  defaultValue: () => null,
});

// `CAIRN_LINK=hardlink` for a script that does not say; anything else is a copy.
const linkFromEnv = (): "copy" | "hardlink" =>
  Deno.env.get("CAIRN_LINK") === "hardlink" ? "hardlink" : "copy";

// `CAIRN_SANDBOX=1` or `0`; anything else (or nothing) is "auto".
const sandboxFromEnv = (): boolean | "auto" => {
  const value = Deno.env.get("CAIRN_SANDBOX");
  return value === "1" ? true : value === "0" ? false : "auto";
};

// The remote cache's name: the option, else `$CAIRN_REMOTE`; `false` or empty: none.
const remoteOf = (options: PipelineOptions): string | undefined =>
  options.remote === false
    ? undefined
    : options.remote || Deno.env.get("CAIRN_REMOTE") || undefined;

const make = (options: PipelineOptions): Effect.Effect<PipelineApi, never, ObjectStore> =>
  Effect.gen(function* () {
    const store = yield* ObjectStore;
    const provided = yield* Effect.serviceOption(Executor);
    const remote = yield* Effect.serviceOption(RemoteCache);
    const api: Omit<PipelineApi, "executor" | "local"> & {
      executor?: PipelineApi["executor"];
      local?: PipelineApi["local"];
    } = {
      store,
      progress: options.progress ?? makeProgress({ status: () => api.executor?.status?.() }),
      validate: options.validate ?? "lazy",
      debug: (Deno.env.get("CAIRN_DEBUG") ?? "").split(",").includes("cache"),
      link: options.link ?? linkFromEnv(),
      stepNames: new Map(),
      inFlight: new Map(),
      sandbox: options.sandbox ?? sandboxFromEnv(),
      ...(remote._tag === "Some" ? { remote: remote.value } : {}),
    };
    const pipeline = api as PipelineApi;
    api.local = inProcess(pipeline);
    api.executor = provided._tag === "Some" ? provided.value : api.local;
    return pipeline;
  });

/**
 * The interpreter service.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict"
 * import { Effect } from "effect"
 * import { Pipeline } from "cairn"
 *
 * const root = await Effect.runPromise(
 *   Pipeline.use((p) => Effect.succeed(p.store.root)).pipe(Effect.provide(Pipeline.layerTemp)),
 * )
 * assert.match(root, /store$/)
 * ```
 */
export class Pipeline extends Context.Service<Pipeline, PipelineApi>()("cairn/Pipeline") {
  /** The interpreter over the `ObjectStore` in the context (any backend). */
  static layer(options: PipelineOptions = {}): Layer.Layer<Pipeline, never, ObjectStore> {
    return Layer.effect(Pipeline, make(options));
  }

  /** The interpreter over the disk store at `options.root` (default `$CAIRN_STORE` or `./.cairn`). */
  static layerDisk(options: PipelineOptions = {}): Layer.Layer<Pipeline, StoreError> {
    const executor = options.executor;
    const layer = Pipeline.layer(options);
    const local = ObjectStore.layer(options);
    const remote = remoteOf(options);
    const stores = remote === undefined ? local : RemoteCache.layer({
      name: remote,
      ...(options.progress ? { log: (line: string) => options.progress!.log(line) } : {}),
    }).pipe(Layer.provide(local));
    return (executor ? layer.pipe(Layer.provide(executor)) : layer).pipe(Layer.provide(stores));
  }

  /** The interpreter over a throw-away store (tests). */
  static readonly layerTemp: Layer.Layer<Pipeline, StoreError> = Pipeline.layer().pipe(
    Layer.provide(ObjectStore.layerTemp),
  );
}
