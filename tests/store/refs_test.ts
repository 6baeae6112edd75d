import assert from "node:assert/strict";
import { putBytes } from "../../store/objects.ts";
import {
  listRefs,
  readRef,
  readReflog,
  refNameProblem,
  updateRef,
  ZERO_ID,
} from "../../store/refs.ts";
import { reasonOf, withStore } from "./_helpers.ts";

const blob = (ctx: Parameters<typeof putBytes>[0], text: string) =>
  putBytes(ctx, "blob", new TextEncoder().encode(text)).id;

Deno.test("refNameProblem() accepts the documented charset and refuses the rest", () => {
  for (const ok of ["main", "scenarios/travel_demand", "a.b-c_d/E9", "x/y/z"]) {
    assert.equal(refNameProblem(ok), undefined, ok);
  }
  for (
    const bad of [
      "",
      "/abs",
      "a/../b",
      "..",
      "a//b",
      "a/",
      ".hidden",
      "a/.b",
      "x.lock",
      "sp ace",
      "nul\0",
      "a\\b",
      "x".repeat(201),
    ]
  ) {
    assert.notEqual(refNameProblem(bad), undefined, JSON.stringify(bad));
  }
});

Deno.test("updateRef() refuses invalid names before touching the disk", () =>
  withStore((ctx) => {
    const id = blob(ctx, "x");
    for (const bad of ["../escape", "/etc/passwd", "a/../../b", "n\0ul"]) {
      assert.equal(
        reasonOf(() => updateRef(ctx.layout, bad, id, { message: "m" })),
        "InvalidRefName",
      );
    }
    assert.deepEqual([...Deno.readDirSync(ctx.layout.refs)], []);
  }));

Deno.test("updateRef() writes the ref and appends old, new, time and message to its reflog", () =>
  withStore((ctx) => {
    const a = blob(ctx, "a");
    const b = blob(ctx, "b");
    const before = Date.now();
    updateRef(ctx.layout, "scenarios/demo", a, { message: "first run", expected: null });
    updateRef(ctx.layout, "scenarios/demo", b, { message: "second run", expected: a });
    assert.equal(readRef(ctx.layout, "scenarios/demo"), b);
    const log = readReflog(ctx.layout, "scenarios/demo");
    assert.deepEqual(log.map((e) => [e.old, e.new, e.message]), [[null, a, "first run"], [
      a,
      b,
      "second run",
    ]]);
    assert.ok(log.every((e) => e.timeMs >= before && e.timeMs <= Date.now()));
    assert.match(
      Deno.readTextFileSync(`${ctx.layout.logs}/scenarios/demo`),
      new RegExp(`^${ZERO_ID} ${a} \\d+ "first run"\n`),
    );
  }));

Deno.test("updateRef() compare-and-swap fails with RefConflict and changes nothing", () =>
  withStore((ctx) => {
    const a = blob(ctx, "a");
    const b = blob(ctx, "b");
    updateRef(ctx.layout, "r", a, { message: "m" });
    assert.equal(
      reasonOf(() => updateRef(ctx.layout, "r", b, { message: "m", expected: b })),
      "RefConflict",
    );
    assert.equal(
      reasonOf(() => updateRef(ctx.layout, "r", b, { message: "m", expected: null })),
      "RefConflict",
    );
    assert.equal(readRef(ctx.layout, "r"), a);
    assert.equal(readReflog(ctx.layout, "r").length, 1);
    assert.throws(
      () => Deno.statSync(`${ctx.layout.refs}/r.lock`),
      Deno.errors.NotFound,
      "lock released",
    );
  }));

Deno.test("updateRef() with null deletes the ref and logs the deletion", () =>
  withStore((ctx) => {
    const a = blob(ctx, "a");
    updateRef(ctx.layout, "tmp/x", a, { message: "set" });
    updateRef(ctx.layout, "tmp/x", null, { message: "drop", expected: a });
    assert.equal(readRef(ctx.layout, "tmp/x"), null);
    assert.deepEqual(readReflog(ctx.layout, "tmp/x").map((e) => e.new), [a, null]);
  }));

Deno.test("updateRef() waits for a held lock and breaks one left by a dead process", () =>
  withStore((ctx) => {
    const a = blob(ctx, "a");
    Deno.writeTextFileSync(`${ctx.layout.refs}/stale.lock`, "");
    const old = new Date(Date.now() - 60_000);
    Deno.utimeSync(`${ctx.layout.refs}/stale.lock`, old, old);
    updateRef(ctx.layout, "stale", a, { message: "after crash" });
    assert.equal(readRef(ctx.layout, "stale"), a);
  }));

Deno.test("readReflog() skips a torn last line", () =>
  withStore((ctx) => {
    const a = blob(ctx, "a");
    updateRef(ctx.layout, "r", a, { message: "ok" });
    Deno.writeTextFileSync(`${ctx.layout.logs}/r`, `${ZERO_ID} ${a.slice(0, 20)}`, {
      append: true,
    });
    assert.equal(readReflog(ctx.layout, "r").length, 1);
  }));

Deno.test("listRefs() lists nested refs by name with a prefix filter", () =>
  withStore((ctx) => {
    const a = blob(ctx, "a");
    updateRef(ctx.layout, "scenarios/b", a, { message: "m" });
    updateRef(ctx.layout, "scenarios/a", a, { message: "m" });
    updateRef(ctx.layout, "other", a, { message: "m" });
    assert.deepEqual(listRefs(ctx.layout, "scenarios/").map((r) => r.name), [
      "scenarios/a",
      "scenarios/b",
    ]);
    assert.equal(listRefs(ctx.layout).length, 3);
  }));

Deno.test("updateRef() breaks at once a fresh lock whose owner process is gone", async () => {
  await withStore(async (ctx) => {
    const a = blob(ctx, "a");
    const child = new Deno.Command(Deno.execPath(), { args: ["eval", "1"] }).spawn();
    await child.status;
    const { hostname } = await import("node:os");
    Deno.writeTextFileSync(`${ctx.layout.refs}/crashed.lock`, `${child.pid}@${hostname()}`);
    const started = Date.now();
    updateRef(ctx.layout, "crashed", a, { message: "after SIGKILL" });
    assert.ok(Date.now() - started < 1000, "no wait for the stale timeout");
    assert.equal(readRef(ctx.layout, "crashed"), a);
  });
});

Deno.test("ref updates and deletions by concurrent processes keep the ref and its reflog one history", async () => {
  await withStore(async (ctx) => {
    const workers = 4;
    const rounds = 600;
    const script = new URL("./_fixtures/ref_churn.ts", import.meta.url).pathname;
    const children = Array.from({ length: workers }, (_, w) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", script, ctx.layout.root, "churn", String(w), String(rounds)],
        stdout: "piped",
        stderr: "piped",
      }).output());
    let updates = 0;
    for (const out of await Promise.all(children)) {
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      updates += Number(new TextDecoder().decode(out.stdout));
    }
    const log = readReflog(ctx.layout, "churn");
    assert.equal(log.length, updates, "one reflog entry per update that happened");
    for (let i = 1; i < log.length; i++) {
      assert.equal(
        log[i]!.old,
        log[i - 1]!.new,
        `entry ${i} (${log[i]!.message}) follows entry ${i - 1} (${log[i - 1]!.message})`,
      );
    }
    assert.equal(
      readRef(ctx.layout, "churn"),
      log[log.length - 1]!.new,
      "the ref is the last entry",
    );
  });
});
