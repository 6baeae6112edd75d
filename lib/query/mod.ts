/**
 * Queries over a store: lineage, impact, why, runs, scenarios, show, artifacts,
 * scenario diffs, lineage graphs, OpenLineage export, gc with retention, and
 * rebuilding the derived indexes. Each needs only the `ObjectStore` service.
 *
 * @module
 */
export { type ArtifactFilter, type ArtifactRow, listArtifacts } from "./artifacts.ts";
export { checkStore } from "./check_store.ts";
export { collectGarbage, type CollectOptions, type CollectReport } from "./collect_garbage.ts";
export {
  diffScenarios,
  type FacetChange,
  type OutputChange,
  type ScenarioDiff,
} from "./diff_scenarios.ts";
export { type GraphFormat, graphOf, type GraphOptions } from "./graph.ts";
export { type Impact, impactOf, type ImpactRun } from "./impact.ts";
export {
  type Lineage,
  lineage,
  type LineageArtifact,
  lineageOf,
  type LineageRun,
} from "./lineage.ts";
export { requireOutputName, requireRunFilterNames } from "./known_names.ts";
export { type LineageView, loadLineageView } from "./lineage_view.ts";
export type { RunSummary } from "../model/lineage_entry.ts";
export { IndexedView, isIndexed, type ScenarioHead } from "./indexed_view.ts";
export type { RunHead, RunNode } from "./run_head.ts";
export { openQueryIndex, type QueryIndex, type QueryIndexOptions } from "./query_index.ts";
export { commandLogs, type Logs, type LogStream } from "./logs.ts";
export {
  type CairnArtifactFacet,
  type CairnRunFacet,
  type ErrorMessageRunFacet,
  formatJsonLines,
  type OpenLineageDataset,
  openLineageEvents,
  type OpenLineageRunEvent,
} from "./openlineage.ts";
export { QueryError } from "./query_error.ts";
export { reindex, type ReindexReport } from "./reindex.ts";
export { type RepairedRun, type RepairResult, repairStore } from "./repair.ts";
export { formatBytes, formatMs, renderLineage, renderLineageTo } from "./render_lineage.ts";
export { resolveArtifact, resolveTarget, type Target } from "./resolve_target.ts";
export { listRuns, type RunFilter, type RunRow } from "./runs.ts";
export {
  historyOf,
  listScenarios,
  readScenario,
  type ScenarioEntry,
  scenarioHistory,
  type ScenarioInvocation,
  type ScenarioListing,
  scenarioNames,
  scenarioOf,
  type ScenarioSummary,
} from "./scenarios.ts";
export { type Shown, type ShownArtifact, showTarget } from "./show.ts";
export { runSql, type SqlResult } from "./sql_query.ts";
export { type InputChange, type Why, why } from "./why.ts";
