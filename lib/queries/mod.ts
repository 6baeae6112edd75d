/**
 * Queries over a store: lineage, impact, why, runs, scenarios, gc with retention,
 * and rebuilding the derived indexes. Each needs only the `ObjectStore` service.
 *
 * @module
 */
export { collectGarbage, type CollectOptions, type CollectReport } from "./collect_garbage.ts";
export { type Impact, impactOf, type ImpactRun } from "./impact.ts";
export {
  type Lineage,
  lineage,
  type LineageArtifact,
  lineageOf,
  type LineageRun,
} from "./lineage.ts";
export { type LineageView, loadLineageView } from "./lineage_view.ts";
export { QueryError } from "./query_error.ts";
export { reindex, type ReindexReport } from "./reindex.ts";
export { formatBytes, formatMs, renderLineage } from "./render_lineage.ts";
export { resolveTarget, type Target } from "./resolve_target.ts";
export { listRuns, type RunFilter, type RunRow } from "./runs.ts";
export {
  readScenario,
  type ScenarioEntry,
  scenarioHistory,
  type ScenarioInvocation,
  scenarioNames,
} from "./scenarios.ts";
export { type InputChange, type Why, why } from "./why.ts";
