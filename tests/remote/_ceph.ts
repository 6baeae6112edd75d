// Starting and stopping the single-node Ceph cluster of `_ceph.sh` (radosgw on a free
// port of 127.0.0.1, every daemon stopped by pid): for the remote tests (`_server.ts`,
// one per test file) and the "remote" benchmark section.
import { S3Client } from "@aws-sdk/client-s3";
import { fileURLToPath } from "node:url";

/** How to reach the server. */
export interface S3Server {
  readonly endpoint: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** A raw client, for tests that bypass the store (damaging an object, say). */
  readonly client: S3Client;
}

/** The cluster's script. */
export const SCRIPT = fileURLToPath(new URL("./_ceph.sh", import.meta.url));

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

/** Stops the cluster in `dir` (every daemon, by pid) and removes its files. */
export const stopCeph = async (dir: string): Promise<void> => {
  await new Deno.Command("bash", { args: [SCRIPT, "stop", dir] }).output();
  await Deno.remove(dir, { recursive: true });
};

/** Starts a cluster in a new temp directory; fails saying why (with its logs' tails). */
export const startCeph = async (): Promise<{ dir: string; server: S3Server }> => {
  const dir = await Deno.makeTempDir({ prefix: "cairn-ceph-" });
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
    await stopCeph(dir);
    throw new Error(
      `Cannot start Ceph (exit ${out.code}${out.signal ? `, ${out.signal}` : ""}): ${why || text}`,
    );
  }
  const credentials = { accessKeyId: m[2]!, secretAccessKey: m[3]! };
  return {
    dir,
    server: {
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
    },
  };
};
