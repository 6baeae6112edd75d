// A real S3 server for the remote tests: a single-node Ceph cluster with radosgw
// (`_ceph.sh`), started once per test file on free ports and stopped by pid after
// its last test. Without Ceph's packages the file's tests say why and pass, except
// under CI=true, where they fail (`.ci/run` installs the packages).
import { cephProblem, type S3Server, SCRIPT, startCeph, stopCeph } from "./_ceph.ts";

export { cephProblem, type S3Server };

let dir: string | undefined;
let server: S3Server | undefined;

const stop = async () => {
  server?.client.destroy();
  server = undefined;
  if (dir === undefined) return;
  await stopCeph(dir);
  dir = undefined;
};

const start = async (): Promise<void> => {
  const started = await startCeph();
  dir = started.dir;
  server = started.server;
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
