// The CLI as the remote tests run it (the server's keys in its environment) and
// looks into the stores it works on.
import * as Context from "effect/Context";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { ObjectStore, type ObjectStoreApi } from "../../store/object_store.ts";
import { layerS3 } from "../../store/s3/layer_s3.ts";
import { CLI } from "../cli/_fixture.ts";
import { type S3Server, s3Server } from "./_server.ts";

/**
 * Starts `cairn <args>` with the server's keys in the environment (and `env`), its
 * output piped: for tests that stop the server while it runs.
 */
export const spawnCairn = (args: readonly string[], env: Record<string, string> = {}) => {
  const { credentials } = s3Server();
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-config", CLI, ...args],
    env: {
      NO_COLOR: "1",
      CAIRN_PROGRESS: "0",
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      ...env,
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
};

/** Runs `cairn <args>` with the server's keys in the environment. */
export const cairnWith = async (args: readonly string[]) => {
  const out = await spawnCairn(args).output();
  const td = new TextDecoder();
  return { code: out.code, stdout: td.decode(out.stdout), stderr: td.decode(out.stderr) };
};

export const ok = async (args: readonly string[]): Promise<string> => {
  const r = await cairnWith(args);
  if (r.code !== 0) throw new Error(`cairn ${args.join(" ")} exited ${r.code}:\n${r.stderr}`);
  return r.stdout;
};

/** `cairn gc` of the remote `origin` keeping nothing by age (no grace, reflog expired). */
export const GC_REMOTE_NOW: readonly string[] = [
  "gc",
  "--remote",
  "origin",
  "--grace",
  "0s",
  "--reflog-expiry",
  "0s",
];

// deno-lint-ignore no-explicit-any
export const json = async (args: readonly string[]): Promise<any> =>
  JSON.parse(await ok([...args, "--json"]));

export const inStore = <A>(root: string, f: (s: ObjectStoreApi) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(
    Effect.gen(function* () {
      return yield* f(yield* ObjectStore);
    }).pipe(Effect.provide(ObjectStore.layer({ root }))) as Effect.Effect<A>,
  );

export const inRemote = <A>(
  bucket: string,
  prefix: string,
  f: (s: ObjectStoreApi) => Effect.Effect<A, unknown>,
  server: Pick<S3Server, "endpoint" | "credentials"> = s3Server(),
) =>
  Effect.runPromise(
    Effect.gen(function* () {
      return yield* f(yield* ObjectStore);
    }).pipe(
      Effect.provide(
        layerS3({
          bucket,
          prefix,
          endpoint: server.endpoint,
          credentials: server.credentials,
          create: false,
        }),
      ),
    ) as Effect.Effect<A>,
  );

/**
 * Runs `f` with the local store at `root` and the remote at `prefix` of `bucket`, both
 * open (`create`: make the remote's layout when it has none).
 */
export const withBoth = <A>(
  root: string,
  bucket: string,
  prefix: string,
  f: (local: ObjectStoreApi, remote: ObjectStoreApi) => Effect.Effect<A, unknown>,
  create = false,
): Promise<A> =>
  Effect.runPromise(
    Effect.scoped(Effect.gen(function* () {
      const local = Context.get(yield* Layer.build(ObjectStore.layer({ root })), ObjectStore);
      const remote = Context.get(
        yield* Layer.build(layerS3({
          bucket,
          prefix,
          endpoint: s3Server().endpoint,
          credentials: s3Server().credentials,
          create,
        })),
        ObjectStore,
      );
      return yield* f(local, remote);
    })) as Effect.Effect<A>,
  );

/** Every object `ref` reaches in `store` (records' links, trees' entries). */
export const reachable = (store: ObjectStoreApi, ref: string) =>
  Effect.gen(function* () {
    const seen = new Set<string>();
    const stack = [(yield* store.readRef(ref))!];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const kind = yield* store.identify(id);
      if (kind === "record") stack.push(...((yield* store.readRecord(id)).links ?? []));
      if (kind === "tree") stack.push(...(yield* store.readTree(id)).map((e) => e.id));
    }
    return seen;
  });

/** Every object the scenario's newest record reaches, in the store at `root`. */
export const closure = (root: string, scenario: string) =>
  inStore(root, (s) => reachable(s, `scenarios/${scenario}`));

/**
 * The objects under `prefix` of `bucket` with their sizes, listed by the raw client
 * (not the store's code).
 */
export const listedObjects = async (
  bucket: string,
  prefix: string,
): Promise<Map<string, number>> => {
  const out = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await s3Server().client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: `${prefix}/objects/`,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const o of page.Contents ?? []) {
      out.set(o.Key!.slice(`${prefix}/objects/`.length).replace("/", ""), o.Size ?? 0);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
};

export const withDirs = async (f: (dir: string) => Promise<void>) => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-push-" });
  try {
    await f(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
};

export { dangling } from "./_dangling.ts";
