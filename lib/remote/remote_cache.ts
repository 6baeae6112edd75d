/**
 * The remote cache of a run (`run(program, { remote: "origin" })`, `CAIRN_REMOTE`):
 * a layer over the local `ObjectStore` that provides the remote-backed store (local
 * misses looked up on the remote, bytes downloaded when read; see
 * `remote_backed_store.ts`) and the `RemoteCache` service through which the
 * interpreter hands over the runs it computed and the scenario records it wrote
 * (`write_through.ts`, `scenario_through.ts`) and brings in a miss's inputs. When the layer is released it waits for the uploads, adds local
 * cache entries for adopted runs whose bytes came down whole, and says in one line
 * what the remote gave and took.
 *
 * A remote that cannot be opened (the server down) is a warning: the run goes on
 * with the local store. A remote the store does not know is an error.
 *
 * @module
 */
import * as Context from "effect/Context";
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import * as Layer from "effect/Layer";
import * as Scope from "effect/Scope";
import * as Semaphore from "effect/Semaphore";
import { InvalidInput, type StoreError, storeError, toStoreError } from "../../store/errors.ts";
import type { ObjectId } from "../../store/object_id.ts";
import { ObjectStore, type ObjectStoreApi } from "../../store/object_store.ts";
import { parseRemoteUrl, readRemotes } from "../../store/remotes.ts";
import type { S3StoreOptions } from "../../store/s3/s3_store_options.ts";
import type { ArtifactRef } from "../model/artifact.ts";
import { CACHE_INDEX, encodeCacheValue } from "../model/cache_entry.ts";
import { copyObjects } from "./copy_objects.ts";
import { withScratch } from "./_scratch.ts";
import {
  adopt,
  downFor,
  download,
  ioFailure,
  remoteBacked,
  type RemoteBacking,
  remoteOrFail,
  type RemoteReadStats,
} from "./remote_backed_store.ts";
import type { TypedLink } from "./typed_links.ts";
import { writeThrough, type WriteThroughStats } from "./write_through.ts";

/** What the interpreter asks of the remote cache beyond the store. */
export interface RemoteCacheApi {
  /** The remote's name. */
  readonly name: string;
  /** What came down so far. */
  readonly reads: RemoteReadStats;
  /** What went up so far. */
  readonly writes: WriteThroughStats;
  /** Brings the bytes of `links` the local store lacks (a miss's inputs, before it runs). */
  readonly fetch: (links: readonly TypedLink[]) => Effect.Effect<void, StoreError>;
  /** Queues the upload of a run this process computed, cached under `key`. */
  readonly written: (key: string, run: ObjectId) => Effect.Effect<void>;
  /**
   * Queues the upload of a scenario record this process wrote (and moved the local
   * ref to): its closure after the runs queued before it, then the remote's ref.
   */
  readonly recorded: (scenario: string, record: ObjectId, message: string) => Effect.Effect<void>;
  /**
   * Uploads a run of `key` and its cache entry now, failing when that fails: what a
   * cluster runner does before it replies to a pipeline on another host.
   */
  readonly upload: (key: string, run: RunOfKey) => Effect.Effect<void, StoreError>;
  /**
   * Sends the closures of `links` the remote lacks now (a miss's inputs made here,
   * before a runner with another store runs it).
   */
  readonly publish: (links: readonly TypedLink[]) => Effect.Effect<void, StoreError>;
  /**
   * Takes a run of `key` that another process uploaded (a runner on another host) as
   * a remote hit: its records come here with their lineage entries, its outputs' bytes
   * when something reads them.
   */
  readonly adopt: (key: string, run: RunOfKey) => Effect.Effect<void, StoreError>;
}

/** A run and the outputs it names, as a cache entry holds them. */
export interface RunOfKey {
  /** The run record's id. */
  readonly run: ObjectId;
  /** The outputs it names, by name. */
  readonly outputs: Readonly<Record<string, ArtifactRef>>;
}

/** Options of {@linkcode RemoteCache.layer}. */
export interface RemoteCacheOptions {
  /** The remote's name in the store's remotes file. */
  readonly name: string;
  /** Where warnings and the closing line go (default: stderr). */
  readonly log?: (line: string) => void;
  /** Upload what the run computes (default true; false only reads from the remote). */
  readonly writeThrough?: boolean;
  /** Uploads at once (default 4). */
  readonly concurrency?: number;
  /** Say nothing when done (the closing line; warnings are always said). */
  readonly quiet?: boolean;
  /**
   * How long a remote that failed (or could not be opened) is left alone before it is
   * tried again, in ms (default 30 s): a long run, or a runner, goes on using the
   * remote once the server is back.
   */
  readonly retryAfterMs?: number;
}

const stderrLine = (line: string) => {
  try {
    Deno.stderr.writeSync(new TextEncoder().encode(line + "\n"));
  } catch {
    // stderr closed: warnings are best effort
  }
};

// Where the remote named `name` is, from the store's remotes file: a remote the store
// does not know is an error as the layer is built, not when a lookup first needs it.
const remoteSpec = (root: string, name: string) =>
  Effect.gen(function* () {
    const remotes = yield* Effect.try({
      try: () => readRemotes(root),
      catch: toStoreError("read remotes", `${root}/remotes`),
    });
    const spec = remotes[name];
    const where = spec ? parseRemoteUrl(spec.url) : undefined;
    if (!spec || !where || "problem" in where) {
      return yield* Effect.fail(storeError(
        new InvalidInput({
          what: `remote "${name}"`,
          detail: spec
            ? `its URL ${spec.url} is not s3://bucket/prefix`
            : `the store at ${root} has no such remote; add it with "cairn remote add ${name} s3://bucket/prefix" ("cairn remote ls" lists them)`,
        }),
      ));
    }
    return {
      bucket: where.bucket,
      prefix: where.prefix,
      ...(spec.endpoint ? { endpoint: spec.endpoint } : {}),
    };
  });

// The remote opened in `scope` (its SDK imported only now), or undefined when the
// server cannot be reached — said once, and the run goes on locally.
const openRemote = (
  spec: S3StoreOptions,
  name: string,
  scope: Scope.Scope,
  warn: (line: string) => void,
) =>
  Effect.gen(function* () {
    const { layerS3 } = yield* Effect.promise(() => import("../../store/s3/layer_s3.ts"));
    return yield* Layer.buildWithScope(layerS3(spec), scope).pipe(
      Effect.map((context) => Context.get(context, ObjectStore) as ObjectStoreApi | undefined),
      Effect.catch((e) =>
        Effect.sync(() => {
          warn(
            `[cairn] remote "${name}" cannot be opened (${e.message}); the run goes on with the local store only, and tries the remote again later`,
          );
          return undefined;
        })
      ),
    );
  });

/**
 * The remote cache's service (see the module doc).
 *
 * @example A store without the remote it is asked for fails to open, saying so
 * ```ts
 * import assert from "node:assert/strict"
 * import { Effect, Layer } from "effect"
 * import { ObjectStore, RemoteCache } from "cairn"
 *
 * const layer = RemoteCache.layer({ name: "origin" }).pipe(Layer.provide(ObjectStore.layerTemp))
 * const opening = Effect.gen(function* () {
 *   return yield* RemoteCache
 * })
 * const error = await Effect.runPromise(Effect.flip(Effect.provide(opening, layer)))
 * assert.match(error.message, /^Cannot accept remote "origin": the store at .* has no such remote/)
 * ```
 */
export class RemoteCache extends Context.Service<RemoteCache, RemoteCacheApi>()(
  "cairn/RemoteCache",
) {
  /** The remote-backed store and the service, over the local store in the context. */
  static layer(
    options: RemoteCacheOptions,
  ): Layer.Layer<ObjectStore | RemoteCache, StoreError, ObjectStore> {
    return Layer.effectContext(Effect.gen(function* () {
      const local = yield* ObjectStore;
      const warn = options.log ?? stderrLine;
      const spec = yield* remoteSpec(local.root, options.name);
      // The remote's own scope, closed after the finalizer below has waited for the
      // uploads: the remote is opened lazily, and a finalizer added then to the layer's
      // scope would run first and close the client under the last uploads.
      const scope = yield* Scope.make();
      yield* Effect.addFinalizer((exit) => Scope.close(scope, exit));
      // Opened once; a remote that could not be opened is tried again once `down` has
      // cleared (one opening at a time).
      const opening = yield* Semaphore.make(1);
      let opened: ObjectStoreApi | undefined;
      const remote: Effect.Effect<ObjectStoreApi | undefined> = Effect.suspend(() =>
        opened !== undefined ? Effect.succeed(opened) : opening.withPermits(1)(
          Effect.suspend(() =>
            opened !== undefined
              ? Effect.succeed(opened)
              : backing.down
              ? Effect.succeed(undefined)
              : openRemote(spec, options.name, scope, warn).pipe(
                Effect.tap((store) =>
                  Effect.sync(() => {
                    if (store) opened = store;
                    else backing.down = true;
                  })
                ),
              )
          ),
        )
      );
      const state = downFor(options.retryAfterMs ?? 30_000);
      const backing: RemoteBacking = {
        name: options.name,
        remote,
        get down() {
          return state.down;
        },
        set down(value: boolean) {
          state.down = value;
        },
        stats: { lookups: 0, hits: 0, records: 0, objects: 0, bytes: 0, downloaded: [] },
        adopted: new Map(),
        onRemote: new Set(),
        warn,
      };
      const store = remoteBacked(local, backing);
      const uploads = yield* writeThrough(local, backing, {
        ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      });
      // Released before the write-through's fibers (finalizers run last-added first).
      yield* Effect.addFinalizer((exit) =>
        Effect.gen(function* () {
          // Interrupted (Ctrl-C): the uploads under way are interrupted too — each leaves
          // complete closures only — and counted as not uploaded; else all are awaited.
          if (Exit.hasInterrupts(exit)) yield* uploads.abandon;
          else yield* uploads.finish;
          // Adopted runs whose outputs all came down are local hits from now on.
          yield* Effect.ignore(local.appendIfComplete(
            [...backing.adopted].map(([key, value]) => ({
              index: CACHE_INDEX,
              key,
              value,
              needs: [value.slice(0, 64)],
            })),
          ));
          const w = uploads.stats;
          const r = backing.stats;
          if (w.failed + w.scenariosFailed > 0) {
            const what = [
              ...(w.failed > 0 ? [`${w.failed} run${w.failed === 1 ? "" : "s"}`] : []),
              ...(w.scenariosFailed > 0
                ? [`${w.scenariosFailed} scenario record${w.scenariosFailed === 1 ? "" : "s"}`]
                : []),
            ];
            warn(
              `[cairn] remote "${options.name}": ${what.join(" and ")} ${
                w.failed + w.scenariosFailed === 1 ? "was" : "were"
              } not uploaded; the results are in the local store, and "cairn push" sends them`,
            );
          }
          const used = r.lookups + r.objects + w.runs + w.failed + w.scenarios + w.scenariosFailed;
          if (options.quiet || used === 0) return;
          warn(
            `[cairn] remote "${options.name}": ${r.hits} of ${r.lookups} lookups hit; downloaded ${r.objects} object${
              r.objects === 1 ? "" : "s"
            } (${r.bytes} B) and ${r.records} record${
              r.records === 1 ? "" : "s"
            }; uploaded ${w.runs} run${w.runs === 1 ? "" : "s"} and ${w.scenarios} scenario record${
              w.scenarios === 1 ? "" : "s"
            } (${w.objects} object${w.objects === 1 ? "" : "s"}, ${w.bytes} B)`,
          );
        })
      );
      const api: RemoteCacheApi = {
        name: options.name,
        reads: backing.stats,
        writes: uploads.stats,
        fetch: (links) =>
          download(local, backing, links).pipe(
            Effect.asVoid,
            Effect.catchTag("RemoteError", (e) =>
              Effect.fail(ioFailure("download inputs", options.name, e.detail))),
          ),
        written: options.writeThrough === false ? () => Effect.void : uploads.written,
        recorded: options.writeThrough === false ? () => Effect.void : uploads.recorded,
        upload: (key, run) => uploads.now(key, run.run, encodeCacheValue(run.run, run.outputs)),
        publish: (links) =>
          Effect.gen(function* () {
            // What came from the remote is there: the runs and outputs of adopted entries.
            const absent = links.filter((l) => !backing.onRemote.has(l.id));
            if (absent.length === 0) return;
            const target = yield* remoteOrFail(remote, options.name, "send inputs");
            yield* withScratch(
              local,
              (scratch) =>
                copyObjects(local, target, absent, { bytes: true, trustPresent: true, scratch }),
            );
          }).pipe(
            Effect.catchTag(
              "RemoteError",
              (e) => Effect.fail(ioFailure("send inputs", options.name, e.detail)),
            ),
          ),
        adopt: (key, run) =>
          adopt(local, backing, key, encodeCacheValue(run.run, run.outputs)).pipe(
            Effect.catchTag(
              "RemoteError",
              (e) => Effect.fail(ioFailure("adopt run", options.name, e.detail)),
            ),
          ),
      };
      return Context.make(ObjectStore, store).pipe(Context.add(RemoteCache, api));
    }));
  }
}
