// The hosts fixture (`_hosts.ts`): hosts with their own hostnames and addresses reach
// a service bound on the root side's address and each other, not the root's loopback;
// and everything made — processes, namespaces, links — is gone afterwards, also when
// the test body fails.
import assert from "node:assert/strict";
import { type Hosts, hostsTest, withHosts } from "./_hosts.ts";

const ENV = {
  PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
  HOME: Deno.env.get("HOME") ?? "/root",
  ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
  NO_COLOR: "1",
};

// `deno eval` in a host, fetching `url` (the answer's text, or the error's name).
const fetchFrom = async (host: Hosts["hosts"][number], url: string) => {
  const out = await host.run([
    Deno.execPath(),
    "eval",
    `try { console.log(await (await fetch(${
      JSON.stringify(url)
    }, { signal: AbortSignal.timeout(3000) })).text()) } catch (e) { console.log("failed: " + e.name) }`,
  ], { env: ENV });
  assert.equal(out.code, 0, out.stderr);
  return out.stdout.trim();
};

const present = async () => {
  const text = async (args: string[]) =>
    new TextDecoder().decode(
      (await new Deno.Command("ip", { args, stdout: "piped" }).output()).stdout,
    );
  return { netns: await text(["netns", "list"]), links: await text(["-o", "link"]) };
};

hostsTest(
  "two hosts: each has its hostname and address, reaches a service on the root side's address and the other host, not the root's loopback",
  async () => {
    const loopback = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () => new Response("loopback"),
    );
    try {
      await withHosts(["alpha", "beta"], async ({ hosts, serviceAddress, network }) => {
        const [a, b] = hosts as [Hosts["hosts"][number], Hosts["hosts"][number]];
        assert.match(network, /^10\.\d+\.\d+\.0\/24$/);
        assert.notEqual(a.address, b.address);
        for (const host of hosts) {
          const name = await host.run(["hostname"]);
          assert.equal(name.stdout.trim(), host.hostname);
          const addr = await host.run(["ip", "-4", "-o", "addr", "show", "eth0"]);
          assert.ok(addr.stdout.includes(` ${host.address}/24 `), addr.stdout);
        }
        assert.match(a.hostname, /^alpha-/);
        assert.match(b.hostname, /^beta-/);
        assert.notEqual((await a.run(["hostname"])).stdout, Deno.hostname() + "\n");

        const service = Deno.serve(
          { hostname: serviceAddress, port: 0, onListen: () => {} },
          () => new Response("root side"),
        );
        try {
          const url = `http://${serviceAddress}:${service.addr.port}/`;
          assert.equal(await fetchFrom(a, url), "root side");
          assert.equal(await fetchFrom(b, url), "root side");
        } finally {
          await service.shutdown();
        }
        const port = loopback.addr.port;
        assert.match(await fetchFrom(a, `http://127.0.0.1:${port}/`), /^failed/);

        // A server in host B, reached from host A at B's address.
        const server = b.spawn([
          Deno.execPath(),
          "eval",
          `Deno.serve({ hostname: ${
            JSON.stringify(b.address)
          }, port: 8123, onListen: () => console.log("up") }, () => new Response(Deno.hostname()))`,
        ], { env: ENV });
        const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
        assert.equal((await reader.read()).value?.trim(), "up");
        assert.equal(await fetchFrom(a, `http://${b.address}:8123/`), b.hostname);
        reader.releaseLock();
        // Left running: withHosts stops it.
      });
    } finally {
      await loopback.shutdown();
    }
  },
);

hostsTest(
  "withHosts removes its processes, namespaces and links, also when the test body fails",
  async () => {
    let seen: { netns: string; bridge: string; pid: number } | undefined;
    await assert.rejects(
      withHosts(["one"], async ({ hosts }) => {
        const sleeper = hosts[0]!.spawn(["sleep", "1000"], { stdout: "null", stderr: "null" });
        // This call's own bridge (other tests' hosts may exist at the same time): the
        // namespace is cairn-<id>-0, the bridge cairn<id>.
        const bridge = `cairn${/^cairn-([0-9a-f]{6})-0$/.exec(hosts[0]!.netns)?.[1]}`;
        const links = (await present()).links;
        assert.ok(new RegExp(`\\d+: ${bridge}[:@]`).test(links), links);
        seen = { netns: hosts[0]!.netns, bridge, pid: sleeper.pid };
        assert.ok((await present()).netns.includes(hosts[0]!.netns));
        throw new Error("the test failed");
      }),
      /the test failed/,
    );
    assert.ok(seen);
    const after = await present();
    assert.ok(!after.netns.includes(seen.netns), after.netns);
    assert.ok(!after.links.includes(seen.bridge), "the bridge is gone");
    assert.ok(!after.links.includes(`vc${seen.bridge.slice(5)}`), "the veth is gone");
    let state = "";
    try {
      state = Deno.readTextFileSync(`/proc/${seen.pid}/stat`);
    } catch {
      // gone
    }
    assert.ok(state === "" || / Z /.test(state), `the child ${seen.pid} is stopped: ${state}`);
  },
);
