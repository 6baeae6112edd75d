/**
 * The pipeline DSL and its interpreter: what a pipeline author writes with. The
 * queries are the package's `./query` export (`lib/query/mod.ts`).
 *
 * @module
 */
export { type Artifact, type ArtifactRef } from "./model/artifact.ts";
export type { KeyChange, KeyComponents } from "./model/cache_key.ts";
export type { CodeIdentity } from "./identity/code_identity.ts";
export {
  type Codec,
  elementName,
  type InputSpec,
  type List,
  list,
  type Optional,
  optional,
  type PathCodec,
  type ValueCodec,
  type ValueOf,
} from "./pipeline/codecs/codec.ts";
export { Json } from "./pipeline/codecs/json.ts";
export { Text } from "./pipeline/codecs/text.ts";
export { Dir, File, withExtension } from "./pipeline/codecs/path_codecs.ts";
export { type Row, Table, type TableValue, type TypedTable } from "./pipeline/codecs/table.ts";
export * from "./pipeline/errors.ts";
export {
  type ArgvArgs,
  command,
  type CommandOptions,
  type ContainerSpec,
  type ToolSpec,
} from "./pipeline/command.ts";
export { input } from "./pipeline/input.ts";
export { iterate, type IterateOptions } from "./pipeline/iterate.ts";
export {
  CurrentIteration,
  CurrentScenario,
  type InFlight,
  type Invocation,
  type KeyedRun,
  type LoopOutcome,
  Pipeline,
  type PipelineApi,
  type PipelineOptions,
  type ScenarioState,
  type StepNameUse,
} from "./pipeline/pipeline.ts";
export type { Progress } from "./pipeline/progress.ts";
export { read } from "./pipeline/read.ts";
export { run, type RunOptions } from "./pipeline/run.ts";
export { sweep, SweepFailed, type SweepFailure, type SweepOptions } from "./pipeline/sweep.ts";
export { Executor, type ExecutorApi, requireAddress } from "./pipeline/executor.ts";
export { inProcess } from "./pipeline/execute.ts";
export {
  type PoolStats,
  workers,
  type WorkersApi,
  type WorkersOptions,
} from "./pipeline/workers/pool.ts";
export {
  decodeStepInvocation,
  type ExecutionResult,
  type InvocationInput,
  type StepInvocation,
} from "./model/step_invocation.ts";
export {
  scenario,
  type ScenarioOptions,
  type ScenarioRecorded,
  scenarioRecorded,
} from "./pipeline/scenario.ts";
export {
  type ConfigOverride,
  type DecodedInputs,
  type InputArtifacts,
  type OutputArtifacts,
  type OutputValues,
  type RunResult,
  type Step,
  step,
  type StepContext,
  type StepOptions,
} from "./pipeline/step.ts";
export {
  RemoteCache,
  type RemoteCacheApi,
  type RemoteCacheOptions,
  type RunOfKey,
} from "./remote/remote_cache.ts";
export type { RemoteReadStats } from "./remote/remote_backed_store.ts";
export type { WriteThroughStats } from "./remote/write_through.ts";
export type { TypedLink } from "./remote/typed_links.ts";
