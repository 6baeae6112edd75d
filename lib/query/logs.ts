/**
 * A command's logs: the stdout and stderr its program printed, kept as blobs — a run's
 * linked from its run record (a cache hit's are the run it reused), a failed
 * invocation's listed with it in its scenario record.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import { ObjectStore } from "../../store/object_store.ts";
import type { StoreError } from "../../store/errors.ts";
import type { LineageView } from "./lineage_view.ts";
import { QueryError } from "./query_error.ts";
import { findInvocation } from "./find_invocation.ts";
import { resolveTarget } from "./resolve_target.ts";
import { decodeRunRecord } from "../model/run_record.ts";

/** One captured stream. */
export interface LogStream {
  /** The blob holding it. */
  readonly id: string;
  /** What the program printed, as it printed it. */
  readonly bytes: Uint8Array;
}

/** The answer to `logs`. */
export interface Logs {
  /** The run that printed them; null for a failed invocation (no run was recorded). */
  readonly run: string | null;
  /** The command's step (null for a log blob named on its own). */
  readonly step: string | null;
  /** Its iteration (null outside `iterate`). */
  readonly iteration: number | null;
  /** Set when the invocation asked about was a cache hit (its logs are this run's). */
  readonly hitOf: string | null;
  /** Its standard output (null for a log blob named on its own). */
  readonly stdout: LogStream | null;
  /** Its standard error. */
  readonly stderr: LogStream | null;
}

const read = (ids: { stdout: string; stderr: string }) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore;
    return {
      stdout: { id: ids.stdout, bytes: yield* store.readBlob(ids.stdout) },
      stderr: { id: ids.stderr, bytes: yield* store.readBlob(ids.stderr) },
    };
  });

/**
 * The logs of a command invocation: `target` is a run id (or prefix), a log blob id,
 * or a scenario with `stepAt` (`congestion@3`, its newest record's invocation).
 */
export const commandLogs = (
  view: LineageView,
  target: string,
  stepAt?: string,
): Effect.Effect<Logs, QueryError | StoreError, ObjectStore> =>
  Effect.gen(function* () {
    const store = yield* ObjectStore;
    let run: string;
    let hitOf: string | null = null;
    if (stepAt !== undefined) {
      const inv = yield* findInvocation(view, target, stepAt);
      const { step, iteration } = inv;
      if (!inv.run) {
        const failed = inv.logs;
        if (!failed) {
          return yield* Effect.fail(
            new QueryError({
              detail:
                `Cannot show the logs of ${stepAt} in scenario "${target}": it failed before any program ran (${
                  inv.error ?? "no error recorded"
                })`,
            }),
          );
        }
        return { run: null, step, iteration, hitOf: null, ...(yield* read(failed)) };
      }
      run = inv.run;
      if (inv.hit) hitOf = inv.run;
    } else {
      const resolved = yield* resolveTarget(target, view);
      if (resolved.kind === "artifact" && (yield* store.identify(resolved.id)) === "blob") {
        // A log blob named by a failure outside any scenario.
        const bytes = yield* store.readBlob(resolved.id);
        return {
          run: null,
          step: null,
          iteration: null,
          hitOf: null,
          stdout: null,
          stderr: { id: resolved.id, bytes },
        };
      }
      if (resolved.kind !== "run") {
        return yield* Effect.fail(
          new QueryError({
            detail:
              `Cannot show logs of "${target}": it is a ${resolved.kind}, not a run; give a run id or "<scenario> <step>@<iteration>"`,
          }),
        );
      }
      run = resolved.id;
    }
    const record = decodeRunRecord(yield* store.readRecord(run));
    if (!record) {
      return yield* Effect.fail(
        new QueryError({
          detail: `Cannot show logs of ${run.slice(0, 12)}: it is not a run record`,
        }),
      );
    }
    const { step, iteration } = record;
    const ids = record.logs;
    if (!ids) {
      return yield* Effect.fail(
        new QueryError({
          detail: `Cannot show logs of run ${
            run.slice(0, 12)
          } (${step}): it is a step's run, and only commands' programs have logs`,
        }),
      );
    }
    return { run, step, iteration, hitOf, ...(yield* read(ids)) };
  });
