/**
 * `cairn remote add NAME s3://bucket/prefix [--endpoint URL]`, `cairn remote ls`,
 * `cairn remote remove NAME`: the remotes of the local store, kept in its `remotes`
 * file (see the README's store format). Adding one contacts nothing.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Option from "effect/Option";
import * as Argument from "effect/cli/Argument";
import * as Command from "effect/cli/Command";
import * as Flag from "effect/cli/Flag";
import { jsonFlag, printJson, printLines, table } from "./_output.ts";
import { objectStore, storeFlag, withStore } from "./_store.ts";

const remotesModule = Effect.promise(() => import("../store/remotes.ts"));
const remoteError = Effect.promise(() => import("../lib/remote/remote_error.ts"));

const addCommand = Command.make(
  "add",
  {
    name: Argument.String("name").pipe(Argument.withDescription("The remote's name, e.g. origin")),
    url: Argument.String("url").pipe(Argument.withDescription("s3://bucket/prefix")),
    endpoint: Flag.String("endpoint").pipe(
      Flag.withDescription("An S3-compatible server's URL (default: AWS, or $AWS_ENDPOINT_URL)"),
      Flag.withMetavar("URL"),
      Flag.optional,
    ),
    store: storeFlag,
  },
  ({ name, url, endpoint, store }) =>
    withStore(
      store,
      Effect.gen(function* () {
        const local = yield* objectStore;
        const m = yield* remotesModule;
        const { RemoteError } = yield* remoteError;
        const bad = (detail: string) => Effect.fail(new RemoteError({ detail }));
        const nameProblem = m.remoteNameProblem(name);
        if (nameProblem) return yield* bad(`Cannot add remote "${name}": ${nameProblem}`);
        const where = m.parseRemoteUrl(url);
        if ("problem" in where) return yield* bad(`Cannot add remote "${name}": ${where.problem}`);
        const ep = Option.getOrUndefined(endpoint);
        if (ep !== undefined && !/^https?:\/\/[^/]+/.test(ep)) {
          return yield* bad(
            `Cannot add remote "${name}": the endpoint "${ep}" is not an http(s) URL`,
          );
        }
        const remotes = m.readRemotes(local.root);
        if (remotes[name]) {
          return yield* bad(
            `Cannot add remote "${name}": it exists (${remotes[name].url}); remove it first`,
          );
        }
        m.writeRemotes(local.root, {
          ...remotes,
          [name]: { url, ...(ep !== undefined ? { endpoint: ep } : {}) },
        });
        yield* printLines([`added remote ${name}: ${url}${ep ? ` at ${ep}` : ""}`]);
      }),
    ),
).pipe(Command.withDescription("Add a remote (an S3 bucket and prefix)"));

const lsCommand = Command.make(
  "ls",
  { json: jsonFlag, store: storeFlag },
  ({ json, store }) =>
    withStore(
      store,
      Effect.gen(function* () {
        const local = yield* objectStore;
        const remotes = (yield* remotesModule).readRemotes(local.root);
        const rows = Object.entries(remotes).sort(([a], [b]) => (a < b ? -1 : 1)).map((
          [name, spec],
        ) => ({ name, url: spec.url, endpoint: spec.endpoint ?? null }));
        if (json) return yield* printJson(rows);
        if (rows.length === 0) return yield* printLines(["no remotes"]);
        yield* printLines(
          table(["name", "url", "endpoint"], rows.map((r) => [r.name, r.url, r.endpoint ?? ""])),
        );
      }),
    ),
).pipe(Command.withDescription("List the remotes"));

const removeCommand = Command.make(
  "remove",
  { name: Argument.String("name"), store: storeFlag },
  ({ name, store }) =>
    withStore(
      store,
      Effect.gen(function* () {
        const local = yield* objectStore;
        const m = yield* remotesModule;
        const { [name]: gone, ...rest } = m.readRemotes(local.root);
        if (!gone) {
          const { RemoteError } = yield* remoteError;
          return yield* Effect.fail(
            new RemoteError({ detail: `Cannot remove remote "${name}": there is no such remote` }),
          );
        }
        m.writeRemotes(local.root, rest);
        yield* printLines([`removed remote ${name}`]);
      }),
    ),
).pipe(Command.withDescription("Forget a remote (its tracking refs stay)"));

/** The `remote` command. */
export const remoteCommand = Command.make("remote").pipe(
  Command.withDescription("The remotes this store pushes to and pulls from"),
  Command.withSubcommands([addCommand, lsCommand, removeCommand]),
);
