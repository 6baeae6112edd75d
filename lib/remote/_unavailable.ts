// A push or pull whose remote failed under it: the store's I/O failure on a key of the
// remote becomes RemoteUnavailable (naming the remote, saying what to do); every other
// error passes through.
import * as Effect from "effect/Effect";
import type { StoreError } from "../../store/errors.ts";
import type { ObjectStoreApi } from "../../store/object_store.ts";
import { RemoteUnavailable } from "./remote_error.ts";

export const remoteFailures =
  (verb: "push" | "pull", name: string, remote: ObjectStoreApi) =>
  <A, E>(
    effect: Effect.Effect<A, E | StoreError>,
  ): Effect.Effect<A, E | StoreError | RemoteUnavailable> =>
    effect.pipe(
      Effect.catch(
        (e: E | StoreError): Effect.Effect<never, E | StoreError | RemoteUnavailable> => {
          const reason = (e as StoreError)?._tag === "StoreError" ? (e as StoreError).reason : null;
          return reason?._tag === "IoFailure" && reason.path.startsWith(remote.root)
            ? Effect.fail(
              new RemoteUnavailable({
                verb,
                remote: name,
                url: remote.root,
                detail: reason.message,
              }),
            )
            : Effect.fail(e);
        },
      ),
    );
