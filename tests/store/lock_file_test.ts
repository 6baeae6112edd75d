import assert from "node:assert/strict";
import { hostname } from "node:os";
import { fileURLToPath } from "node:url";
import { acquireLock, commitLock, LockLost, releaseLock } from "../../store/lock_file.ts";
import { inTemp, reasonOf } from "./_helpers.ts";

Deno.test("acquireLock() is exclusive: a second taker waits and then fails with LockBusy", () =>
  inTemp((dir) => {
    const held = acquireLock(`${dir}/ref`, { trashDir: dir });
    assert.equal(Deno.readTextFileSync(`${dir}/ref.lock`), `${Deno.pid}@${hostname()}`);
    const started = Date.now();
    assert.equal(
      reasonOf(() => acquireLock(`${dir}/ref`, { trashDir: dir, timeoutMs: 150 })),
      "LockBusy",
    );
    assert.ok(Date.now() - started >= 150);
    releaseLock(held);
    releaseLock(acquireLock(`${dir}/ref`, { trashDir: dir }));
  }));

Deno.test("commitLock() publishes only the new content and releases the lock", () =>
  inTemp((dir) => {
    const lock = acquireLock(`${dir}/ref`, { trashDir: dir });
    commitLock(lock, `${dir}/ref`, new TextEncoder().encode("value\n"), false);
    assert.equal(Deno.readTextFileSync(`${dir}/ref`), "value\n");
    assert.throws(() => Deno.statSync(`${dir}/ref.lock`), Deno.errors.NotFound);
  }));

Deno.test("commitLock() of a lock broken meanwhile throws LockLost and publishes nothing", () =>
  inTemp((dir) => {
    const lock = acquireLock(`${dir}/ref`, { trashDir: dir });
    Deno.renameSync(`${dir}/ref.lock`, `${dir}/broken`);
    assert.throws(
      () => commitLock(lock, `${dir}/ref`, new TextEncoder().encode("x"), false),
      LockLost,
    );
    assert.throws(() => Deno.statSync(`${dir}/ref`), Deno.errors.NotFound);
  }));

Deno.test("releaseLock() of a lock that was broken and taken by another owner leaves the new owner's lock", () =>
  inTemp((dir) => {
    const first = acquireLock(`${dir}/ref`, { trashDir: dir });
    // Broken (as a stale lock is) and taken by another process.
    Deno.renameSync(`${dir}/ref.lock`, `${dir}/broken`);
    const second = acquireLock(`${dir}/ref`, { trashDir: dir });
    assert.throws(
      () => commitLock(first, `${dir}/ref`, new TextEncoder().encode("first"), false),
      LockLost,
    );
    releaseLock(first); // the clean-up after LockLost
    assert.ok(Deno.statSync(`${dir}/ref.lock`).isFile, "the second owner still holds its lock");
    commitLock(second, `${dir}/ref`, new TextEncoder().encode("second"), false);
    assert.equal(Deno.readTextFileSync(`${dir}/ref`), "second");
  }));

Deno.test("a lock names its owner at every moment, so a holder killed at any point is broken at once", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-lock-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      fileURLToPath(new URL("./_fixtures/lock_committer.ts", import.meta.url)),
      dir,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    Deno.mkdirSync(`${dir}/tmp`);
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    assert.equal((await reader.read()).value, "ready\n");
    reader.releaseLock();
    // Watch the lock while the child takes and commits it (fsync included) many times.
    const seen = new Set<string>();
    for (const until = Date.now() + 500; Date.now() < until;) {
      try {
        seen.add(Deno.readTextFileSync(`${dir}/ref.lock`).replace(/^\d+@/, "<pid>@"));
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    assert.deepEqual([...seen], [`<pid>@${hostname()}`], "what the lock file held");
    child.kill("SIGKILL");
    await child.status;
    // Whatever moment the kill hit, the next taker gets the lock without waiting it out.
    releaseLock(acquireLock(`${dir}/ref`, { trashDir: `${dir}/tmp`, timeoutMs: 1000 }));
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await child.status;
    await child.stdout.cancel().catch(() => {});
    await child.stderr.cancel();
    Deno.removeSync(dir, { recursive: true });
  }
});
