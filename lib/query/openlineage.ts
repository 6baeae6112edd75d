/**
 * Export to OpenLineage (https://openlineage.io): a START and a COMPLETE RunEvent
 * per run, built from the run records. A step is a job, an artifact a dataset
 * named by its object id; scenario, iteration and codec travel in `cairn_run` and
 * `cairn_artifact` facets. Since the export looks back at finished runs, both
 * events carry the inputs and the outputs.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { basename } from "node:path";
import { ObjectStore } from "../../store/object_store.ts";
import type { StoreError } from "../../store/errors.ts";
import type { ArtifactRef } from "../model/artifact.ts";
import { summaryOfRecord } from "../model/lineage_entry.ts";
import { decodeRunRecord } from "../model/run_record.ts";
import type { LineageView } from "./lineage_view.ts";
import { createHash } from "node:crypto";
import { scenarioHistory, scenarioNames } from "./scenarios.ts";

const PRODUCER = "cairn";
const ERROR_FACET =
  "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet";
// Spec 2-0-x keeps its definitions under `$defs` (1-0-x had `definitions`): the
// schema URLs point there.
const SPEC = "https://openlineage.io/spec/2-0-2/OpenLineage.json";

/** The `cairn_run` run facet. */
export interface CairnRunFacet {
  /** Who made the facet: `cairn`. */
  readonly _producer: string;
  /** The facet's schema. */
  readonly _schemaURL: string;
  /**
   * The run record's object id (the `runId` is derived from it); for a failed
   * invocation, which has none, the scenario record that lists it.
   */
  readonly record: string;
  /** The run's scenario. */
  readonly scenario: string | null;
  /** Its iteration (null outside `iterate`). */
  readonly iteration: number | null;
  /** How long it ran. */
  readonly durationMs: number;
}

/** OpenLineage's standard error facet, on the FAIL event of a failed invocation. */
export interface ErrorMessageRunFacet {
  /** Who wrote the event (cairn). */
  readonly _producer: string;
  /** The facet's schema. */
  readonly _schemaURL: string;
  /** The error the scenario record stored. */
  readonly message: string;
  /** The language of the step's code. */
  readonly programmingLanguage: string;
}

/** The `cairn_artifact` dataset facet. */
export interface CairnArtifactFacet {
  /** Who made the facet: `cairn`. */
  readonly _producer: string;
  /** The facet's schema. */
  readonly _schemaURL: string;
  /** The input or output name. */
  readonly name: string;
  /** A blob (a file) or a tree (a directory). */
  readonly kind: "blob" | "tree";
  /** The codec that wrote it. */
  readonly codec: string;
  /** Its size in bytes. */
  readonly size: number;
}

/** A dataset of an event: an artifact. */
export interface OpenLineageDataset {
  /** The store's namespace (`--namespace`). */
  readonly namespace: string;
  /** The artifact's object id. */
  readonly name: string;
  /** cairn's facet of the artifact. */
  readonly facets: { readonly cairn_artifact: CairnArtifactFacet };
}

/** An OpenLineage RunEvent (spec 2-0-2). */
export interface OpenLineageRunEvent {
  /** Which event of the run this is. */
  readonly eventType: "START" | "COMPLETE" | "FAIL";
  /** When: the run's start (START) or end (COMPLETE, FAIL). */
  readonly eventTime: string;
  /** The run: its id (derived from the run record's) and cairn's facets (and the error of a failed invocation). */
  readonly run: {
    readonly runId: string;
    readonly facets: {
      readonly cairn_run: CairnRunFacet;
      readonly errorMessage?: ErrorMessageRunFacet;
    };
  };
  /** The job: the step, in the store's namespace. */
  readonly job: { readonly namespace: string; readonly name: string };
  /** The artifacts the run read. */
  readonly inputs: readonly OpenLineageDataset[];
  /** The artifacts the run wrote. */
  readonly outputs: readonly OpenLineageDataset[];
  /** Who made the event: `cairn`. */
  readonly producer: string;
  /** The event's schema. */
  readonly schemaURL: string;
}

/**
 * A UUID from a run id: its first 32 hex digits with the version set to 8 (custom,
 * RFC 9562) and the RFC variant bits — the same run always gets the same UUID.
 */
const uuidOf = (run: string): string => {
  const h = run.slice(0, 32);
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${
    h.slice(20, 32)
  }`;
};

const dataset = (namespace: string, name: string, ref: ArtifactRef): OpenLineageDataset => ({
  namespace,
  name: ref.id,
  facets: {
    cairn_artifact: {
      _producer: PRODUCER,
      _schemaURL: `${SPEC}#/$defs/DatasetFacet`,
      name,
      kind: ref.kind,
      codec: ref.codec,
      size: ref.size,
    },
  },
});

/**
 * The OpenLineage events of every run in the view, in time order; the namespace
 * of jobs and datasets defaults to `cairn://<store root basename>`.
 *
 * @example Events as JSON lines
 * ```ts
 * import { Effect } from "effect"
 * import { ObjectStore } from "../../store/object_store.ts"
 * import { loadLineageView } from "./lineage_view.ts"
 * import { formatJsonLines, openLineageEvents } from "./openlineage.ts"
 *
 * const lines = Effect.gen(function* () {
 *   return formatJsonLines(yield* openLineageEvents(yield* loadLineageView))
 * }).pipe(Effect.provide(ObjectStore.layer({ root: ".cairn" })))
 * ```
 */
export const openLineageEvents = (
  view: LineageView,
  options: { readonly namespace?: string } = {},
): Effect.Effect<OpenLineageRunEvent[], StoreError, ObjectStore> =>
  Effect.gen(function* () {
    const store = yield* ObjectStore;
    const namespace = options.namespace ?? `cairn://${basename(store.root)}`;
    const events: OpenLineageRunEvent[] = [];
    for (const run of view.runs.keys()) {
      // A record gc removed after the index was read: describe it from its summary.
      const record = yield* store.readRecord(run).pipe(
        Effect.map((raw) => {
          const r = decodeRunRecord(raw);
          return r && { summary: summaryOfRecord(r), endedAt: r.endedAt, status: r.status };
        }),
        Effect.catchReason("StoreError", "ObjectNotFound", () => Effect.succeed(undefined)),
      );
      const s = record?.summary ?? view.runs.get(run)!;
      const endedAt = typeof record?.endedAt === "string"
        ? record.endedAt
        : new Date(Date.parse(s.startedAt) + s.durationMs).toISOString();
      const base = {
        run: {
          runId: uuidOf(run),
          facets: {
            cairn_run: {
              _producer: PRODUCER,
              _schemaURL: `${SPEC}#/$defs/RunFacet`,
              record: run,
              scenario: s.scenario,
              iteration: s.iteration,
              durationMs: s.durationMs,
            },
          },
        },
        job: { namespace, name: s.step },
        inputs: Object.entries(s.inputs).flatMap(([name, ref]) =>
          ref ? [dataset(namespace, name, ref)] : []
        ),
        outputs: Object.entries(s.outputs).map(([name, ref]) => dataset(namespace, name, ref)),
        producer: PRODUCER,
        schemaURL: `${SPEC}#/$defs/RunEvent`,
      };
      const failed = record !== undefined && record.status !== undefined && record.status !== "ok";
      events.push(
        { eventType: "START", eventTime: s.startedAt, ...base },
        { eventType: failed ? "FAIL" : "COMPLETE", eventTime: endedAt, ...base },
      );
    }
    // A failed invocation has no run record: its scenario record lists it with its
    // error. Each gets a START and a FAIL (with OpenLineage's errorMessage facet), its
    // runId derived from the scenario record and its place in it.
    for (const name of yield* scenarioNames) {
      for (const entry of yield* scenarioHistory(name, Infinity)) {
        const endedAt = new Date(Date.parse(entry.startedAt) + entry.durationMs).toISOString();
        entry.invocations.forEach((invocation, k) => {
          if (invocation.status !== "failed") return;
          const id = createHash("sha256").update(`${entry.id}:${k}`).digest("hex");
          const base = {
            run: {
              runId: uuidOf(id),
              facets: {
                cairn_run: {
                  _producer: PRODUCER,
                  _schemaURL: `${SPEC}#/$defs/RunFacet`,
                  record: entry.id,
                  scenario: entry.name,
                  iteration: invocation.iteration,
                  durationMs: invocation.durationMs,
                },
              },
            },
            job: { namespace, name: invocation.step },
            inputs: [],
            outputs: [],
            producer: PRODUCER,
            schemaURL: `${SPEC}#/$defs/RunEvent`,
          };
          events.push(
            { eventType: "START", eventTime: entry.startedAt, ...base },
            {
              eventType: "FAIL",
              eventTime: endedAt,
              ...base,
              run: {
                ...base.run,
                facets: {
                  ...base.run.facets,
                  errorMessage: {
                    _producer: PRODUCER,
                    _schemaURL: ERROR_FACET,
                    message: invocation.error ?? "failed",
                    programmingLanguage: "TypeScript",
                  },
                },
              },
            },
          );
        });
      }
    }
    // Stable: a run's START stays before its end when both fall in the same millisecond.
    return events.sort((a, b) =>
      a.eventTime < b.eventTime ? -1 : a.eventTime > b.eventTime ? 1 : 0
    );
  });

/**
 * Events as JSON lines (one event per line, each ending in a newline).
 *
 * @example
 * ```ts
 * import { formatJsonLines } from "./openlineage.ts"
 *
 * formatJsonLines([]) // ""
 * ```
 */
export const formatJsonLines = (events: readonly OpenLineageRunEvent[]): string =>
  events.map((e) => JSON.stringify(e) + "\n").join("");
