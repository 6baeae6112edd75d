/**
 * Opening a remote of the local store for `push` and `pull`: its spec from the
 * store's `remotes` file, the S3 store through `layerS3` (credentials from the SDK's
 * chain: `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, `~/.aws`), and the progress
 * line on a terminal. The SDK and the remote library load only when a command runs.
 *
 * @module
 */
import * as Context from "effect/Context";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import type * as Scope from "effect/Scope";
import * as Option from "effect/Option";
import * as Flag from "effect/cli/Flag";
import type { ObjectStoreApi } from "../store/object_store.ts";
import type { StoreError } from "../store/errors.ts";
import type { CopyProgress } from "../lib/remote/copy_objects.ts";
import type { RemoteError } from "../lib/remote/remote_error.ts";
import { formatBytes } from "../lib/query/render_lineage.ts";
import { objectStore, withStore } from "./_store.ts";

/** `--remote NAME`; default `origin`, else the only remote. */
export const remoteFlag: Flag.Flag<Option.Option<string>> = Flag.String("remote").pipe(
  Flag.withDescription('The remote (default: "origin", else the only one)'),
  Flag.withMetavar("NAME"),
  Flag.optional,
);

/** Runs `use` with the local store and the remote `name` (opened; closed after). */
export const withRemote = <A, E>(
  store: Option.Option<string>,
  name: Option.Option<string>,
  create: boolean,
  use: (
    local: ObjectStoreApi,
    remote: ObjectStoreApi,
    name: string,
    url: string,
  ) => Effect.Effect<A, E>,
): Effect.Effect<A, E | StoreError | RemoteError> =>
  withStore(
    store,
    Effect.gen(function* () {
      const local = yield* objectStore;
      return yield* Effect.scoped(
        Effect.flatMap(
          openRemote(local, Option.getOrUndefined(name), create),
          (r) => use(local, r.remote, r.name, r.url),
        ),
      );
    }),
  );

/**
 * Opens the remote `name` of `local` (default: `origin`, else the only one) for the
 * scope; fails saying which remotes there are when there is no such choice.
 */
export const openRemote = (
  local: ObjectStoreApi,
  name: string | undefined,
  create: boolean,
): Effect.Effect<
  { readonly remote: ObjectStoreApi; readonly name: string; readonly url: string },
  StoreError | RemoteError,
  Scope.Scope
> =>
  Effect.gen(function* () {
    const { chooseRemote, readRemotes, parseRemoteUrl } = yield* Effect.promise(() =>
      import("../store/remotes.ts")
    );
    const { RemoteError } = yield* Effect.promise(() => import("../lib/remote/remote_error.ts"));
    const remotes = readRemotes(local.root);
    const names = Object.keys(remotes);
    const chosen = chooseRemote(remotes, name);
    const spec = chosen === undefined ? undefined : remotes[chosen];
    if (chosen === undefined || spec === undefined) {
      return yield* Effect.fail(
        new RemoteError({
          detail: chosen === undefined
            ? names.length === 0
              ? 'Cannot choose a remote: this store has none; add one with "cairn remote add origin s3://bucket/prefix"'
              : `Cannot choose a remote among ${names.join(", ")}; pass --remote NAME`
            : `Cannot use remote "${chosen}": this store has no such remote ("cairn remote ls" lists them)`,
        }),
      );
    }
    const where = parseRemoteUrl(spec.url);
    if ("problem" in where) {
      return yield* Effect.fail(
        new RemoteError({ detail: `Cannot use remote "${chosen}": ${where.problem}` }),
      );
    }
    const { layerS3 } = yield* Effect.promise(() => import("../store/s3/layer_s3.ts"));
    const { ObjectStore } = yield* Effect.promise(() => import("../store/object_store.ts"));
    const context = yield* Layer.build(
      layerS3({
        bucket: where.bucket,
        prefix: where.prefix,
        create,
        ...(spec.endpoint ? { endpoint: spec.endpoint } : {}),
      }),
    );
    return { remote: Context.get(context, ObjectStore), name: chosen, url: spec.url };
  });

/** A progress line on stderr when it is a terminal (redrawn at most every 250 ms). */
export const progressLine = (
  verb: string,
  json: boolean,
): { onProgress?: (p: CopyProgress) => void; done: () => void } => {
  if (json || !Deno.stderr.isTerminal() || Deno.env.get("CAIRN_PROGRESS") === "0") {
    return { done: () => {} };
  }
  const encoder = new TextEncoder();
  let last = 0;
  let shown = false;
  const draw = (p: CopyProgress) =>
    Deno.stderr.writeSync(encoder.encode(
      `\r\x1b[K${verb}: ${p.objects}/${p.objectsTotal} objects, ${formatBytes(p.bytes)}`,
    ));
  let latest: CopyProgress | undefined;
  return {
    onProgress: (p) => {
      latest = p;
      const now = performance.now();
      if (now - last < 250 && p.objects !== p.objectsTotal) return;
      last = now;
      shown = true;
      draw(p);
    },
    done: () => {
      if (shown && latest) draw(latest);
      if (shown) Deno.stderr.writeSync(encoder.encode("\n"));
    },
  };
};
