// A single-node Ceph cluster with radosgw (`_ceph.sh`) on free ports, for tests that
// need a real S3 server: `startCeph()` per test file (`_server.ts` does it for the
// remote tests), stopped by pid. The gateway listens on 127.0.0.1 unless `bind` names
// another local address (the service address of `tests/_hosts.ts`, which hosts in
// network namespaces reach); the monitor and the OSD stay on 127.0.0.1.
import { S3Client } from "@aws-sdk/client-s3";
import { fileURLToPath } from "node:url";

/** How to reach the server. */
export interface S3Server {
  readonly endpoint: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** A raw client, for tests that bypass the store (damaging an object, say). */
  readonly client: S3Client;
}

/** A running cluster. */
export interface Ceph extends S3Server {
  /** Stops every daemon (by pid) and removes its directory. */
  readonly stop: () => Promise<void>;
  /** Stops the S3 gateway only (by pid), as a server that goes away mid-request. */
  readonly stopGateway: () => Promise<void>;
  /** Starts the S3 gateway again on its address (the cluster kept its data). */
  readonly startGateway: () => Promise<void>;
}

const SCRIPT = fileURLToPath(new URL("./_ceph.sh", import.meta.url));
const td = new TextDecoder();

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

const freePort = (hostname: string): number => {
  const listener = Deno.listen({ hostname, port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
};

/** Starts a cluster whose gateway listens on `bind` (default 127.0.0.1). */
export const startCeph = async (options: { readonly bind?: string } = {}): Promise<Ceph> => {
  // A start that fails under a loaded machine (measured: a monitor that never answered,
  // while other suites started their clusters) is tried again in a new directory on new
  // ports; the third failure is the error.
  for (let attempt = 1;; attempt++) {
    try {
      return await startOnce(options.bind ?? "127.0.0.1");
    } catch (e) {
      if (attempt >= 3) throw e;
      console.error(
        `note: Ceph did not start (${e instanceof Error ? e.message : e}); starting it again`,
      );
    }
  }
};

const startOnce = async (bind: string): Promise<Ceph> => {
  const dir = await Deno.makeTempDir({ prefix: "cairn-ceph-" });
  const stop = async () => {
    await new Deno.Command("bash", { args: [SCRIPT, "stop", dir] }).output();
    await Deno.remove(dir, { recursive: true });
  };
  const out = await new Deno.Command("bash", {
    args: [SCRIPT, "start", dir, String(freePort(bind)), bind],
    env: { CEPH_MON_PORT: String(freePort("127.0.0.1")) },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = td.decode(out.stdout);
  const m = /endpoint=(\S+) access=(\S+) secret=(\S+)/.exec(text);
  if (!out.success || !m) {
    const why = td.decode(out.stderr).trim();
    const logs = await new Deno.Command("sh", {
      args: ["-c", `tail -n 5 "${dir}"/log/*.log 2>/dev/null`],
      stdout: "piped",
    }).output();
    console.error(td.decode(logs.stdout));
    await stop();
    throw new Error(
      `Cannot start Ceph for the remote tests (exit ${out.code}${
        out.signal ? `, ${out.signal}` : ""
      }): ${why || text}`,
    );
  }
  const credentials = { accessKeyId: m[2]!, secretAccessKey: m[3]! };
  const client = new S3Client({
    endpoint: m[1]!,
    region: "us-east-1",
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  return {
    endpoint: m[1]!,
    credentials,
    client,
    stop: async () => {
      client.destroy();
      await stop();
    },
    stopGateway: async () => {
      const out = await new Deno.Command("bash", { args: [SCRIPT, "rgw-stop", dir] }).output();
      if (!out.success) throw new Error("Cannot stop radosgw");
    },
    startGateway: async () => {
      const out = await new Deno.Command("bash", {
        args: [SCRIPT, "rgw-start", dir],
        stderr: "piped",
      }).output();
      if (!out.success) throw new Error(`Cannot start radosgw again: ${td.decode(out.stderr)}`);
    },
  };
};
