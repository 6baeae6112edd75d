/**
 * The interpreter's service: the store, per-process caches, progress, and the
 * fiber-local references that tell a step which scenario and iteration it runs in.
 *
 * @module
 */
import * as Context from "effect/Context";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import { ObjectStore, type ObjectStoreApi, type StoreOptions } from "../../store/object_store.ts";
import type { StoreError } from "../../store/errors.ts";
import { makeProgress, type Progress } from "./progress.ts";
import type { Invocation } from "../model/scenario_record.ts";

export type { Invocation };

/** The mutable state of one scenario execution. */
export interface ScenarioState {
  readonly name: string;
  readonly invocations: Invocation[];
}

/** Which scenario the current fiber runs in (null outside any scenario). */
export const CurrentScenario = Context.Reference<ScenarioState | null>("cairn/CurrentScenario", {
  defaultValue: () => null,
});

/** Which iteration the current fiber runs in (null outside `iterate`). */
export const CurrentIteration = Context.Reference<number | null>("cairn/CurrentIteration", {
  defaultValue: () => null,
});

/** The first declaration invoked under a step name (to warn of a second one, once). */
export interface StepNameUse {
  readonly definition: object;
  /** Its code identity. */
  readonly identity: string;
  /** Where it was declared. */
  readonly where: string;
  warned: boolean;
}

/** Interpreter options. */
export interface PipelineOptions extends StoreOptions {
  /** `eager` re-checks every output of a cache hit (a damaged one makes it a miss). */
  readonly validate?: "lazy" | "eager";
  /**
   * How `File`/`Dir` inputs reach a step's run: `copy` (default: a reflink where the
   * file system can, else a copy) or `hardlink` (zero-copy, and a step that writes to
   * an input would damage the store's object: each linked input is checked after the
   * step, and one that changed fails the step and is set aside). Default:
   * `$CAIRN_LINK`, else `copy`.
   */
  readonly link?: "copy" | "hardlink";
  /**
   * Where `command` steps that do not say run: `true` under the sandbox (bubblewrap;
   * a command fails where it cannot start), `false` on the host, `"auto"` (default)
   * under the sandbox where bubblewrap works, else on the host, said once. Default:
   * `$CAIRN_SANDBOX` (`1`, `0` or `auto`), else `"auto"`.
   */
  readonly sandbox?: boolean | "auto";
}

/** The interpreter's services. */
export interface PipelineApi {
  readonly store: ObjectStoreApi;
  readonly progress: Progress;
  readonly validate: "lazy" | "eager";
  /** `CAIRN_DEBUG=cache`: log key parts, hits and misses with the reason. */
  readonly debug: boolean;
  /**
   * How a step's `File`/`Dir` inputs are handed to its run: `copy` (default; a reflink
   * where the file system supports it) or `hardlink` (no copy; each linked input is
   * checked after the step, and a step that changed one fails).
   */
  readonly link: "copy" | "hardlink";
  /** Step names seen in this program: name → the first declaration invoked under it. */
  readonly stepNames: Map<string, StepNameUse>;
  /** The sandbox default of `command` steps that do not say (see {@linkcode PipelineOptions}). */
  readonly sandbox: boolean | "auto";
}

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
    return {
      store,
      progress: makeProgress(),
      validate: options.validate ?? "lazy",
      debug: (Deno.env.get("CAIRN_DEBUG") ?? "").split(",").includes("cache"),
      link: options.link ?? linkFromEnv(),
      stepNames: new Map(),
      sandbox: options.sandbox ?? sandboxFromEnv(),
    };
  });

/**
 * The interpreter service.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Pipeline } from "./pipeline.ts"
 *
 * const root = Effect.runPromise(
 *   Pipeline.use((p) => Effect.succeed(p.store.root)).pipe(Effect.provide(Pipeline.layerTemp)),
 * )
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
