/**
 * Comparing two scenario records: which config keys differ (old → new), which
 * tags and facets, and which outputs — by step, iteration and output name — hold
 * different bytes.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { ObjectStore } from "../../store/object_store.ts";
import type { StoreError } from "../../store/errors.ts";
import type { JsonValue } from "../../store/canonical_json.ts";
import { encodeCanonicalJson } from "../../store/canonical_json.ts";
import {
  diffComponents,
  KEY_FORMAT,
  type KeyChange,
  type KeyComponents,
} from "../model/cache_key.ts";
import type { RunSummary } from "../model/lineage_entry.ts";
import { decodeRunRecord } from "../model/run_record.ts";
import type { LineageView } from "./lineage_view.ts";
import { closestNames } from "./did_you_mean.ts";
import { QueryError } from "./query_error.ts";
import { resolveTarget } from "./resolve_target.ts";
import { historyOf, type ScenarioEntry, scenarioNames, scenarioOf } from "./scenarios.ts";

/** A facet whose value differs (`undefined`: the record has no such facet). */
export interface FacetChange {
  /** The facet's name. */
  readonly name: string;
  /** Its value in the first record. */
  readonly before: JsonValue | undefined;
  /** Its value in the second record. */
  readonly after: JsonValue | undefined;
}

/** An output whose bytes differ; `null` where that side has no such output. */
export interface OutputChange {
  /** The step that made it. */
  readonly step: string;
  /** The iteration (null outside `iterate`). */
  readonly iteration: number | null;
  /** The output name. */
  readonly name: string;
  /** Its object id in the first scenario. */
  readonly a: string | null;
  /** Its object id in the second scenario. */
  readonly b: string | null;
}

/** What differs from scenario record `a` to scenario record `b`. */
export interface ScenarioDiff {
  /** The first scenario and the record compared. */
  readonly a: { readonly name: string; readonly id: string };
  /** The second scenario and the record compared. */
  readonly b: { readonly name: string; readonly id: string };
  /** Config differences, `before` from `a` and `after` from `b` (paths like `config.mode.beta`). */
  readonly config: readonly KeyChange[];
  /** Tags only the second record has (`added`) and only the first has (`removed`). */
  readonly tags: { readonly added: readonly string[]; readonly removed: readonly string[] };
  /** Facets whose values differ. */
  readonly facets: readonly FacetChange[];
  /** Outputs that differ, in the order `a` made them, then those only `b` made. */
  readonly outputs: readonly OutputChange[];
}

// Components equal in everything but config, so `diffComponents` reports config alone.
const configOnly = (config: unknown): KeyComponents => ({
  format: KEY_FORMAT,
  step: "",
  signature: null,
  code: { mode: "", identity: "" },
  config: (config ?? null) as JsonValue,
  inputs: {},
  iteration: null,
  env: {},
});

// `name`, `name~N` (the N-th record before the newest) or a scenario record id.
const pick = (view: LineageView, spec: string) =>
  Effect.gen(function* () {
    const older = /^(.+)~(\d+)$/.exec(spec);
    const name = older ? older[1]! : spec;
    const back = older ? Number(older[2]) : 0;
    if ((yield* scenarioNames).includes(name)) {
      const history = yield* historyOf(view, name, back + 1);
      if (history[back]) return history[back];
      return yield* Effect.fail(
        new QueryError({
          detail:
            `Cannot find "${spec}": scenario "${name}" has ${history.length} records kept; give ${name}~0 to ${name}~${
              history.length - 1
            }`,
        }),
      );
    }
    if (!older && /^[0-9a-f]{4,64}$/.test(spec)) {
      const target = yield* resolveTarget(spec, view);
      if (target.kind === "scenario") return yield* scenarioOf(view, target.id);
    }
    const close = closestNames(name, yield* scenarioNames)
      .map((n) => `"${older ? `${n}~${back}` : n}"`);
    return yield* Effect.fail(
      new QueryError({
        detail:
          `Cannot find scenario "${spec}": give a scenario name, <name>~N or a scenario record id; ${
            close.length > 0
              ? `did you mean ${close.join(" or ")}?`
              : `list them with "cairn scenarios"`
          }`,
      }),
    );
  });

const outputsOf = (view: LineageView, entry: ScenarioEntry) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore;
    const out = new Map<string, Omit<OutputChange, "a" | "b"> & { id: string }>();
    for (const inv of entry.invocations) {
      if (!inv.run) continue;
      // The index may lag the records (it is derived): fall back to the run record.
      const outputs = view.runs.get(inv.run)?.outputs ?? (yield* store.readRecord(inv.run).pipe(
        Effect.map((record) => decodeRunRecord(record)?.outputs ?? {}),
        Effect.catchReason("StoreError", "ObjectNotFound", () =>
          Effect.succeed({} as RunSummary["outputs"])),
      ));
      for (const [name, ref] of Object.entries(outputs)) {
        const key = JSON.stringify([inv.step, inv.iteration, name]);
        out.set(key, { step: inv.step, iteration: inv.iteration, name, id: ref.id });
      }
    }
    return out;
  });

const same = (x: unknown, y: unknown) =>
  x === undefined || y === undefined
    ? x === y
    : encodeCanonicalJson(x as JsonValue) === encodeCanonicalJson(y as JsonValue);

/**
 * Compares scenario records `a` and `b`: each a scenario name (its newest record),
 * `name~N` (the N-th record before the newest) or a scenario record id.
 *
 * @example A scenario against the baseline
 * ```ts
 * import { Effect } from "effect"
 * import { ObjectStore } from "../../store/object_store.ts"
 * import { diffScenarios } from "./diff_scenarios.ts"
 * import { loadLineageView } from "./lineage_view.ts"
 *
 * const diff = Effect.gen(function* () {
 *   return yield* diffScenarios(yield* loadLineageView, "baseline", "policy")
 * }).pipe(Effect.provide(ObjectStore.layer({ root: ".cairn" })))
 * ```
 */
export const diffScenarios = (
  view: LineageView,
  a: string,
  b: string,
): Effect.Effect<ScenarioDiff, QueryError | StoreError, ObjectStore> =>
  Effect.gen(function* () {
    const left = yield* pick(view, a);
    const right = yield* pick(view, b);
    const facets: FacetChange[] = [];
    for (const name of [...new Set([...Object.keys(left.facets), ...Object.keys(right.facets)])]) {
      const before = left.facets[name] as JsonValue | undefined;
      const after = right.facets[name] as JsonValue | undefined;
      if (!same(before, after)) facets.push({ name, before, after });
    }
    const outputsA = yield* outputsOf(view, left);
    const outputsB = yield* outputsOf(view, right);
    const outputs: OutputChange[] = [];
    for (const key of new Set([...outputsA.keys(), ...outputsB.keys()])) {
      const x = outputsA.get(key);
      const y = outputsB.get(key);
      if (x?.id === y?.id) continue;
      const { step, iteration, name } = (x ?? y)!;
      outputs.push({ step, iteration, name, a: x?.id ?? null, b: y?.id ?? null });
    }
    return {
      a: { name: left.name, id: left.id },
      b: { name: right.name, id: right.id },
      config: diffComponents(configOnly(left.config), configOnly(right.config)),
      tags: {
        added: right.tags.filter((t) => !left.tags.includes(t)),
        removed: left.tags.filter((t) => !right.tags.includes(t)),
      },
      facets: facets.sort((x, y) => (x.name < y.name ? -1 : 1)),
      outputs,
    };
  });
