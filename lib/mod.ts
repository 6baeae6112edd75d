/**
 * The pipeline DSL and its interpreter.
 *
 * @module
 */
export { type Artifact, type ArtifactRef } from "./model/artifact.ts";
export {
  cacheKey,
  describeChanges,
  diffComponents,
  KEY_FORMAT,
  type KeyChange,
  type KeyComponents,
} from "./model/cache_key.ts";
export { canonicalConfig } from "./model/canonical_config.ts";
export { type CodeIdentity, codeIdentity } from "./identity/code_identity.ts";
export {
  type Codec,
  type InputSpec,
  type Optional,
  optional,
  type PathCodec,
  type ValueCodec,
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
} from "./pipeline/pipeline.ts";
export { run, type RunOptions } from "./pipeline/run.ts";
export { Executor, type ExecutorApi } from "./pipeline/executor.ts";
export { inProcess } from "./pipeline/execute.ts";
export {
  decodeStepInvocation,
  type ExecutionResult,
  type StepInvocation,
} from "./model/step_invocation.ts";
export {
  scenario,
  type ScenarioOptions,
  type ScenarioRecorded,
  scenarioRecorded,
} from "./pipeline/scenario.ts";
export {
  type InputArtifacts,
  type OutputArtifacts,
  type Step,
  step,
  type StepContext,
  type StepOptions,
} from "./pipeline/step.ts";
export * from "./query/mod.ts";
