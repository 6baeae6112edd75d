/**
 * The remotes a local store knows (`<root>/remotes`, as Git's `[remote]` config):
 * canonical JSON `{ "<name>": { "url": "s3://bucket/prefix", "endpoint"?: "…" } }`,
 * rewritten through `tmp/` and renamed into place. The codecs are pure; the two I/O
 * functions read and replace the file.
 *
 * @module
 */
import { encodeCanonicalJson } from "./canonical_json.ts";
import { InvalidInput, storeError } from "./errors.ts";
import { layoutOf } from "./layout.ts";
import { isNotFound, uniqueName } from "./_fs.ts";

/** One remote: where its store is. */
export interface RemoteSpec {
  /** `s3://bucket/prefix` (the prefix may be empty). */
  readonly url: string;
  /** An S3-compatible server's URL (default: the SDK's, i.e. AWS or `AWS_ENDPOINT_URL`). */
  readonly endpoint?: string;
}

/** Why `name` cannot name a remote, or undefined when it can. */
export const remoteNameProblem = (name: string): string | undefined =>
  /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/.test(name)
    ? undefined
    : "use 1 to 64 of A-Z a-z 0-9 . _ - , not starting with . or -";

/** The bucket and prefix of `s3://bucket/prefix`, or a problem. */
export const parseRemoteUrl = (
  url: string,
): { readonly bucket: string; readonly prefix: string } | { readonly problem: string } => {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!m) return { problem: "give s3://<bucket>/<prefix> (a bucket name is 3–63 of a-z 0-9 . -)" };
  const prefix = (m[2] ?? "").replace(/^\/+|\/+$/g, "");
  if (prefix.split("/").some((s) => s === "." || s === "..")) {
    return { problem: "a prefix has no . or .. segments" };
  }
  return { bucket: m[1]!, prefix };
};

/** Encodes the remotes file (canonical JSON, so one set of remotes has one encoding). */
export const encodeRemotes = (remotes: Readonly<Record<string, RemoteSpec>>): string =>
  encodeCanonicalJson(remotes) + "\n";

/** Decodes the remotes file; fails with `InvalidInput` naming what is wrong. */
export const decodeRemotes = (text: string): Record<string, RemoteSpec> => {
  const bad = (detail: string) =>
    storeError(new InvalidInput({ what: "the remotes file", detail }));
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw bad("it is not JSON; fix or remove it");
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw bad("not an object");
  const out: Record<string, RemoteSpec> = {};
  for (const [name, spec] of Object.entries(raw)) {
    const s = spec as { url?: unknown; endpoint?: unknown };
    if (
      remoteNameProblem(name) || typeof s?.url !== "string" || "problem" in parseRemoteUrl(s.url)
    ) {
      throw bad(`its entry "${name}" is not a remote`);
    }
    if (s.endpoint !== undefined && typeof s.endpoint !== "string") {
      throw bad(`the endpoint of "${name}" is not a string`);
    }
    out[name] = { url: s.url, ...(s.endpoint !== undefined ? { endpoint: s.endpoint } : {}) };
  }
  return out;
};

/**
 * The remote a command uses: the one `given`, else `origin`, else the only one;
 * undefined when there is no such choice (none, or several and no `origin`).
 */
export const chooseRemote = (
  remotes: Readonly<Record<string, RemoteSpec>>,
  given?: string,
): string | undefined => {
  if (given) return given;
  const names = Object.keys(remotes);
  return remotes.origin ? "origin" : names.length === 1 ? names[0] : undefined;
};

/** The remotes of the store at `root` (none when it has no remotes file). */
export const readRemotes = (root: string): Record<string, RemoteSpec> => {
  try {
    return decodeRemotes(Deno.readTextFileSync(`${root}/remotes`));
  } catch (e) {
    if (isNotFound(e)) return {};
    throw e;
  }
};

/** Replaces the remotes file of the store at `root` (tmp + rename: never half-written). */
export const writeRemotes = (root: string, remotes: Readonly<Record<string, RemoteSpec>>): void => {
  const tmp = `${layoutOf(root).tmp}/${uniqueName("remotes")}`;
  Deno.writeTextFileSync(tmp, encodeRemotes(remotes));
  try {
    Deno.renameSync(tmp, `${root}/remotes`);
  } catch (e) {
    Deno.removeSync(tmp);
    throw e;
  }
};
