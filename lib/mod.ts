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
  type InputSpec,
  type Optional,
  optional,
  type PathCodec,
  type ValueCodec,
  type ValueOf,
} from "./pipeline/codecs/codec.ts";
export { Json } from "./pipeline/codecs/json.ts";
export { Text } from "./pipeline/codecs/text.ts";
export { Dir, File, withExtension } from "./pipeline/codecs/path_codecs.ts";
export { type Row, Table, type TableValue } from "./pipeline/codecs/table.ts";
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
  type Invocation,
  Pipeline,
  type PipelineApi,
  type PipelineOptions,
  type ScenarioState,
  type StepNameUse,
} from "./pipeline/pipeline.ts";
export type { Progress } from "./pipeline/progress.ts";
export { run, type RunOptions } from "./pipeline/run.ts";
export { Executor, type ExecutorApi, requireAddress } from "./pipeline/executor.ts";
export { inProcess } from "./pipeline/execute.ts";
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
