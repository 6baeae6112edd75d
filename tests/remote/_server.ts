// A real S3 server for the remote tests: a single-node Ceph cluster with radosgw
// (`_ceph.sh`), started once per test file on free ports and stopped by pid after
// its last test. Without Ceph's packages the file's tests say why and pass, except
// under CI=true, where they fail (`.ci/run` installs the packages).
import { S3Client } from "@aws-sdk/client-s3";
import { fileURLToPath } from "node:url";

/** How to reach the server. */
export interface S3Server {
  readonly endpoint: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** A raw client, for tests that bypass the store (damaging an object, say). */
  readonly client: S3Client;
}

const SCRIPT = fileURLToPath(new URL("./_ceph.sh", import.meta.url));

/** Why the server cannot run here, or undefined when it can. */
export const cephProblem: string | undefined = (() => {
  for (const tool of ["ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "monmaptool", "curl"]) {
    const found = new Deno.Command("sh", { args: ["-c", `command -v ${tool}`], stdout: "null" })
      .outputSync().success;
    if (!found) {
      return `${tool} is not installed (Debian: apt-get install ceph-mon ceph-osd radosgw curl)`;
    }
  }
  return undefined;
})();

const freePort = (): number => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
};

let dir: string | undefined;
let server: S3Server | undefined;

const stop = async () => {
  server?.client.destroy();
  server = undefined;
  if (dir === undefined) return;
  await new Deno.Command("bash", { args: [SCRIPT, "stop", dir] }).output();
  await Deno.remove(dir, { recursive: true });
  dir = undefined;
};

const start = async (): Promise<void> => {
  dir = await Deno.makeTempDir({ prefix: "cairn-ceph-" });
  const out = await new Deno.Command("bash", {
    args: [SCRIPT, "start", dir, String(freePort())],
    env: { CEPH_MON_PORT: String(freePort()) },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const m = /endpoint=(\S+) access=(\S+) secret=(\S+)/.exec(text);
  if (!out.success || !m) {
    const why = new TextDecoder().decode(out.stderr).trim();
    const logs = await new Deno.Command("sh", {
      args: ["-c", `tail -n 5 "${dir}"/log/*.log 2>/dev/null`],
      stdout: "piped",
    }).output();
    console.error(new TextDecoder().decode(logs.stdout));
    await stop();
    throw new Error(
      `Cannot start Ceph for the remote tests (exit ${out.code}${
        out.signal ? `, ${out.signal}` : ""
      }): ${why || text}`,
    );
  }
  const credentials = { accessKeyId: m[2]!, secretAccessKey: m[3]! };
  server = {
    endpoint: m[1]!,
    credentials,
    client: new S3Client({
      endpoint: m[1]!,
      region: "us-east-1",
      forcePathStyle: true,
      credentials,
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    }),
  };
};

if (cephProblem === undefined) {
  Deno.test.beforeAll(start);
  Deno.test.afterAll(stop);
}

/** The running server (inside a test registered with {@linkcode remoteTest}). */
export const s3Server = (): S3Server => {
  if (!server) throw new Error("the Ceph fixture is not running");
  return server;
};

/** Stops the S3 gateway only (by pid), as a server that goes away mid-request. */
export const stopGateway = async (): Promise<void> => {
  if (dir === undefined) throw new Error("the Ceph fixture is not running");
  const out = await new Deno.Command("bash", { args: [SCRIPT, "rgw-stop", dir] }).output();
  if (!out.success) throw new Error("Cannot stop radosgw");
};

/** Starts the S3 gateway again on its port (the cluster kept its data). */
export const startGateway = async (): Promise<void> => {
  if (dir === undefined) throw new Error("the Ceph fixture is not running");
  const out = await new Deno.Command("bash", {
    args: [SCRIPT, "rgw-start", dir],
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`Cannot start radosgw again: ${new TextDecoder().decode(out.stderr)}`);
  }
};

/** What a remote test registers with: ignored-with-a-note without Ceph, failing under CI. */
export const remoteTestOptions = (): Omit<Deno.TestDefinition, "name" | "fn"> => ({
  sanitizeOps: false,
  sanitizeResources: false,
});

/** Registers `fn` as a test that needs the server. */
export const remoteTest = (name: string, fn: () => Promise<void>): void =>
  Deno.test({ name, ...remoteTestOptions(), fn: guarded(fn) });

/** Wraps a test body: without Ceph it says why and returns, or under CI=true fails. */
export const guarded = (fn: () => Promise<void>) => async (): Promise<void> => {
  if (cephProblem !== undefined) {
    if (Deno.env.get("CI") === "true") {
      throw new Error(`the remote tests must run in CI: ${cephProblem}`);
    }
    console.log(`note: remote test skipped: ${cephProblem}`);
    return;
  }
  await fn();
};
