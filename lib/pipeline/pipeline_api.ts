/**
 * What the interpreter's service offers the code that runs steps: the store, progress,
 * options, the executor, and per-process state. Apart from `pipeline.ts` so that the
 * miss path (which builds the in-process executor) and the service need not import
 * each other.
 *
 * @module
 */
import type { ObjectStoreApi, StoreOptions } from "../../store/object_store.ts";
import type { Invocation, LoopOutcome } from "../model/scenario_record.ts";
import type { Executor, ExecutorApi } from "./executor.ts";
import type * as Layer from "effect/Layer";
import type { Progress } from "./progress.ts";
import type * as Deferred from "effect/Deferred";
import type { ObjectId } from "../../store/object_id.ts";
import type { ArtifactRef } from "../model/artifact.ts";
import type { RemoteCacheApi } from "../remote/remote_cache.ts";

export type { Invocation, LoopOutcome };

/** The mutable state of one scenario execution. */
export interface ScenarioState {
  /** The scenario's name. */
  readonly name: string;
  /** Every step invocation so far, in order. */
  readonly invocations: Invocation[];
  /** How its `iterate` loops ended, in order. */
  readonly loops: LoopOutcome[];
}

/** The first declaration invoked under a step name (to warn of a second one, once). */
export interface StepNameUse {
  /** The declaration (each `step(...)` call makes one). */
  readonly definition: object;
  /** Its code identity. */
  readonly identity: string;
  /** Where it was declared. */
  readonly where: string;
  /** Whether the second declaration under this name was warned of. */
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
  /** Where progress and log lines go (default: stderr, a live line on a terminal). */
  readonly progress?: Progress;
  /**
   * What runs misses, for `Pipeline.layerDisk` and `run`: `workers({ size })` for a pool
   * of worker processes (default: in process; for `run`, `$CAIRN_WORKERS` workers when
   * that is set).
   */
  readonly executor?: Layer.Layer<Executor>;
  /**
   * Where `command` steps that do not say run: `true` under the sandbox (bubblewrap;
   * a command fails where it cannot start), `false` on the host, `"auto"` (default)
   * under the sandbox where bubblewrap works, else on the host, said once. Default:
   * `$CAIRN_SANDBOX` (`1`, `0` or `auto`), else `"auto"`.
   */
  readonly sandbox?: boolean | "auto";
  /**
   * A remote of the store (its name in the remotes file, `cairn remote add`) used as a
   * cache during the run: a local miss is looked up there (a hit downloads output
   * bytes only when something decodes them), and what the run computes is uploaded
   * in the background, finished before the layer is released; a remote that fails is
   * a warning, never a lost result. Default: `$CAIRN_REMOTE`, else none; `false`: none.
   */
  readonly remote?: string | false;
}

/** The interpreter's services. */
export interface PipelineApi {
  /** The store the interpreter reads and writes. */
  readonly store: ObjectStoreApi;
  /** Progress lines on stderr. */
  readonly progress: Progress;
  /** Whether cache hits are re-checked before reuse. */
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
  /** What runs misses (in process unless an `Executor` was provided). */
  readonly executor: ExecutorApi;
  /** The in-process executor (what a remote executor falls back to). */
  readonly local: ExecutorApi;
  /** The keys this process is computing now (single-flight). */
  readonly inFlight: InFlight;
  /** The sandbox default of `command` steps that do not say (see {@linkcode PipelineOptions}). */
  readonly sandbox: boolean | "auto";
  /** The remote cache of this run, when it has one (see {@linkcode PipelineOptions.remote}). */
  readonly remote?: RemoteCacheApi;
}

/** A run of a key: what a hit reuses and a computation records. */
export interface KeyedRun {
  /** The run record. */
  readonly run: ObjectId;
  /** Its outputs. */
  readonly outputs: Readonly<Record<string, ArtifactRef>>;
}

/** Computations of this process by key: each ends with its run, or undefined when it failed. */
export type InFlight = Map<string, Deferred.Deferred<KeyedRun | undefined>>;
