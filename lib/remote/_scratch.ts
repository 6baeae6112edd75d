// A directory for files in transit, inside the local store's tmp/ (so a blob can be
// hard-linked out of it and renamed into it), removed when `use` ends however it ends;
// one a killed process leaves is swept by gc with the other old temp files.
import * as Effect from "effect/Effect";
import { toStoreError } from "../../store/errors.ts";
import type { StoreError } from "../../store/errors.ts";
import type { ObjectStoreApi } from "../../store/object_store.ts";

export const withScratch = <A, E>(
  local: ObjectStoreApi,
  use: (dir: string) => Effect.Effect<A, E>,
): Effect.Effect<A, E | StoreError> =>
  Effect.acquireUseRelease(
    Effect.try({
      try: () => {
        const dir = `${local.root}/tmp/transfer-${crypto.randomUUID()}`;
        Deno.mkdirSync(dir, { recursive: true });
        return dir;
      },
      catch: toStoreError("create directory", `${local.root}/tmp`),
    }),
    use,
    (dir) => Effect.ignore(Effect.try(() => Deno.removeSync(dir, { recursive: true }))),
  );
