/**
 * `--store PATH` and opening the store for a command. The store and the query
 * library are imported when a command runs, not when the CLI starts, so that
 * `cairn --help` loads neither (nor the `effect` barrel they import).
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import * as Option from "effect/Option";
import * as Flag from "effect/cli/Flag";
import type { ObjectStore, ObjectStoreApi } from "../store/object_store.ts";
import type { StoreError } from "../store/errors.ts";
import type * as Queries from "../lib/query/mod.ts";

/**
 * `--store PATH`; default `$CAIRN_STORE`, else `./.cairn`. An empty PATH is a usage
 * error: `--store "$UNSET_VARIABLE"` must not quietly read the default store.
 */
export const storeFlag: Flag.Flag<Option.Option<string>> = Flag.String("store").pipe(
  Flag.withDescription("The store directory (default: $CAIRN_STORE, else ./.cairn)"),
  Flag.withMetavar("PATH"),
  Flag.filter(
    (path) => path.trim() !== "",
    () =>
      "a store directory, not an empty path (leave --store out for the default: $CAIRN_STORE, else ./.cairn)",
  ),
  Flag.optional,
);

/** The query library, loaded on first use. */
export const queries: Effect.Effect<typeof Queries> = Effect.promise(() =>
  import("../lib/query/mod.ts")
);

/** The store service itself, for commands that call it directly. */
export const objectStore: Effect.Effect<ObjectStoreApi, never, ObjectStore> = Effect.gen(
  function* () {
    const { ObjectStore } = yield* Effect.promise(() => import("../store/object_store.ts"));
    return yield* ObjectStore;
  },
);

/** How a command opens the store. */
export interface OpenOptions {
  /**
   * Read through the store's remote (`$CAIRN_REMOTE`, else `origin`, else the only
   * one) when it has one: bytes a pull without `--all` left there are downloaded,
   * verified, on first read. Nothing is uploaded.
   */
  readonly remote?: boolean;
}

/** Runs `use` with the existing store at `store` (never creates one). */
export const withStore = <A, E>(
  store: Option.Option<string>,
  use: Effect.Effect<A, E, ObjectStore>,
  options: OpenOptions = {},
): Effect.Effect<A, E | StoreError> =>
  Effect.promise(() => import("../store/object_store.ts")).pipe(
    Effect.flatMap(({ ObjectStore, defaultStoreRoot }) =>
      Effect.gen(function* () {
        const root = Option.getOrUndefined(store);
        const local = ObjectStore.layer({ create: false, ...(root !== undefined ? { root } : {}) });
        const name = options.remote ? yield* remoteToRead(root ?? defaultStoreRoot()) : undefined;
        if (name === undefined) return yield* Effect.provide(use, local);
        const { RemoteCache } = yield* Effect.promise(() =>
          import("../lib/remote/remote_cache.ts")
        );
        const layer = RemoteCache.layer({ name, writeThrough: false, quiet: true }).pipe(
          Layer.provide(local),
        );
        return yield* Effect.provide(use, layer);
      })
    ),
  );

/**
 * The remote a read-only command reads through or asks (`$CAIRN_REMOTE`, else
 * `origin`, else the only one), if the store has it; none with a damaged remotes file.
 */
export const remoteToRead = (root: string) =>
  Effect.promise(() => import("../store/remotes.ts")).pipe(
    Effect.map(({ chooseRemote, readRemotes }) => {
      let remotes: ReturnType<typeof readRemotes>;
      try {
        remotes = readRemotes(root);
      } catch {
        return undefined; // a damaged remotes file: the command works on the local store
      }
      const chosen = chooseRemote(remotes, Deno.env.get("CAIRN_REMOTE"));
      return chosen !== undefined && chosen in remotes ? chosen : undefined;
    }),
  );

/**
 * Runs `use` with the store's lineage view — the query index, brought up to date
 * from the logs as it opens — and the query library.
 */
export const withView = <A, E>(
  store: Option.Option<string>,
  use: (view: Queries.LineageView, q: typeof Queries) => Effect.Effect<A, E, ObjectStore>,
  options: OpenOptions = {},
): Effect.Effect<A, E | StoreError> =>
  withStore(
    store,
    Effect.scoped(Effect.gen(function* () {
      const q = yield* queries;
      const index = yield* q.openQueryIndex();
      return yield* use(index.view, q);
    })),
    options,
  );
