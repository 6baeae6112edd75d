// Leases on the disk store: a lease whose holder is gone is broken and taken; one of
// a holder on another host is broken only once it has not been refreshed for
// LEASE_STALE_MS; a holder refreshes it; gc removes the dead ones and keeps the rest.
import assert from "node:assert/strict";
import { hostname } from "node:os";
import * as Effect from "effect/Effect";
import { ObjectStore } from "../../store/object_store.ts";
import { layoutOf } from "../../store/layout.ts";
import {
  LEASE_STALE_MS,
  leaseHolder,
  refreshLease,
  releaseLease,
  tryLease,
} from "../../store/lease.ts";

const KEY = "cd".repeat(32);

const withStore = async (f: (root: string) => Promise<void> | void) => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-lease-" });
  const root = `${dir}/store`;
  try {
    // Opening creates the store's directories.
    await Effect.runPromise(
      Effect.provide(
        Effect.gen(function* () {
          yield* ObjectStore;
        }),
        ObjectStore.layer({ root }),
      ),
    );
    await f(root);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
};

// The pid of a process that has exited.
const deadPid = async (): Promise<number> => {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
};

const plant = (root: string, text: string, ageMs = 0) => {
  const path = `${layoutOf(root).leases}/${KEY}`;
  Deno.mkdirSync(layoutOf(root).leases, { recursive: true });
  Deno.writeTextFileSync(path, text);
  if (ageMs > 0) {
    const then = new Date(Date.now() - ageMs);
    Deno.utimeSync(path, then, then);
  }
  return path;
};

Deno.test("a lease whose holder on this host is gone is broken and taken", async () => {
  await withStore(async (root) => {
    plant(root, `${await deadPid()}@${hostname()} lease-x`);
    const lease = tryLease(layoutOf(root), KEY);
    assert.ok(lease, "taken over from the dead holder");
    assert.equal(leaseHolder(layoutOf(root), KEY)?.pid, Deno.pid);
  });
});

Deno.test("a lease of a live holder on this host is never broken, however old", async () => {
  await withStore(async (root) => {
    const child = new Deno.Command("sleep", { args: ["30"] }).spawn();
    try {
      plant(root, `${child.pid}@${hostname()} lease-x`, LEASE_STALE_MS * 10);
      assert.equal(tryLease(layoutOf(root), KEY), undefined);
    } finally {
      child.kill("SIGKILL");
      await child.status;
    }
  });
});

Deno.test("a lease of another host is broken only when it has not been refreshed for LEASE_STALE_MS", async () => {
  await withStore((root) => {
    plant(root, `1@elsewhere.example lease-x`, LEASE_STALE_MS / 2);
    assert.equal(tryLease(layoutOf(root), KEY), undefined, "refreshed recently: kept");
    plant(root, `1@elsewhere.example lease-x`, LEASE_STALE_MS * 2);
    const lease = tryLease(layoutOf(root), KEY);
    assert.ok(lease, "stale: broken and taken");
  });
});

Deno.test("a holder refreshes its lease on the file system's clock and learns when it was broken", async () => {
  await withStore((root) => {
    const layout = layoutOf(root);
    const lease = tryLease(layout, KEY)!;
    const old = new Date(Date.now() - LEASE_STALE_MS * 2);
    Deno.utimeSync(lease.path, old, old);
    assert.equal(refreshLease(lease), true);
    const age = Date.now() - Deno.statSync(lease.path).mtime!.getTime();
    assert.ok(Math.abs(age) < 5_000, `refreshed: ${age} ms old`);
    // Broken by another process (as a stale one would be), then taken by a third.
    Deno.renameSync(lease.path, `${layout.tmp}/broken`);
    plant(root, `1@elsewhere.example lease-y`);
    assert.equal(refreshLease(lease), false, "no longer ours");
    releaseLease(lease);
    assert.equal(leaseHolder(layout, KEY)?.host, "elsewhere.example", "the new holder's is left");
  });
});

Deno.test("gc removes the leases of dead holders and keeps live ones", async () => {
  await withStore(async (root) => {
    const layout = layoutOf(root);
    plant(root, `${await deadPid()}@${hostname()} lease-x`);
    const live = tryLease(layout, "ef".repeat(32))!;
    const report = await Effect.runPromise(
      Effect.provide(
        Effect.gen(function* () {
          return yield* (yield* ObjectStore).gc({ graceMs: 0 });
        }),
        ObjectStore.layer({ root }),
      ),
    );
    assert.equal(report.deadLeasesRemoved, 1);
    assert.equal(leaseHolder(layout, KEY), undefined);
    assert.equal(leaseHolder(layout, live.name)?.pid, Deno.pid);
  });
});
