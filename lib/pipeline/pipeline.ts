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
import type { PipelineApi, PipelineOptions, ScenarioState } from "./pipeline_api.ts";

export type {
  Invocation,
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

const make = (options: PipelineOptions): Effect.Effect<PipelineApi, never, ObjectStore> =>
  Effect.gen(function* () {
    const store = yield* ObjectStore;
    const provided = yield* Effect.serviceOption(Executor);
    const api: Omit<PipelineApi, "executor"> & { executor?: PipelineApi["executor"] } = {
      store,
      progress: makeProgress(),
      validate: options.validate ?? "lazy",
      debug: (Deno.env.get("CAIRN_DEBUG") ?? "").split(",").includes("cache"),
      link: options.link ?? linkFromEnv(),
      stepNames: new Map(),
      sandbox: options.sandbox ?? sandboxFromEnv(),
    };
    const pipeline = api as PipelineApi;
    api.executor = provided._tag === "Some" ? provided.value : inProcess(pipeline);
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
    return Pipeline.layer(options).pipe(Layer.provide(ObjectStore.layer(options)));
  }

  /** The interpreter over a throw-away store (tests). */
  static readonly layerTemp: Layer.Layer<Pipeline, StoreError> = Pipeline.layer().pipe(
    Layer.provide(ObjectStore.layerTemp),
  );
}
