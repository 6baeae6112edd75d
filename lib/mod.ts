/**
 * The pipeline DSL and its interpreter.
 *
 * @module
 */
export { type Artifact, type ArtifactRef } from "./artifact.ts";
export {
  cacheKey,
  describeChanges,
  diffComponents,
  KEY_FORMAT,
  type KeyChange,
  type KeyComponents,
} from "./cache_key.ts";
export { canonicalConfig } from "./canonical_config.ts";
export { type CodeIdentity, codeIdentity } from "./code_identity.ts";
export {
  type Codec,
  type InputSpec,
  type Optional,
  optional,
  type PathCodec,
  type ValueCodec,
} from "./codecs/codec.ts";
export { Json } from "./codecs/json.ts";
export { Text } from "./codecs/text.ts";
export { Dir, File, withExtension } from "./codecs/path_codecs.ts";
export { type Row, Table, type TableValue } from "./codecs/table.ts";
export * from "./errors.ts";
export {
  type ArgvArgs,
  command,
  type CommandOptions,
  type ContainerSpec,
  type ToolSpec,
} from "./command.ts";
export { input } from "./input.ts";
export { iterate, type IterateOptions } from "./iterate.ts";
export {
  CurrentIteration,
  CurrentScenario,
  type Invocation,
  Pipeline,
  type PipelineApi,
  type PipelineOptions,
} from "./pipeline.ts";
export { run, type RunOptions } from "./run.ts";
export {
  scenario,
  type ScenarioOptions,
  type ScenarioRecorded,
  scenarioRecorded,
} from "./scenario.ts";
export {
  type InputArtifacts,
  type OutputArtifacts,
  type Step,
  step,
  type StepContext,
  type StepOptions,
} from "./step.ts";
export * from "./queries/mod.ts";
