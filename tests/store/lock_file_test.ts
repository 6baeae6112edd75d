import assert from "node:assert/strict";
import { hostname } from "node:os";
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
