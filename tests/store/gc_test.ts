import assert from "node:assert/strict";
import { AppendIndex } from "../../store/append_index.ts";
import { fsck } from "../../store/fsck.ts";
import { gc } from "../../store/gc.ts";
import { putDir } from "../../store/ingest_dir.ts";
import { objectPath } from "../../store/layout.ts";
import { hasObject, putBytes } from "../../store/objects.ts";
import { openStoreContext } from "../../store/object_store.ts";
import { encodeRecord } from "../../store/record.ts";
import { updateRef } from "../../store/refs.ts";
import type { StoreContext } from "../../store/objects.ts";
import { withStore } from "./_helpers.ts";

const enc = new TextEncoder();
const blob = (ctx: StoreContext, text: string) => putBytes(ctx, "blob", enc.encode(text)).id;
const record = (ctx: StoreContext, links: string[], n: number) =>
  putBytes(ctx, "record", encodeRecord({ type: "run", n, links })).id;
const later = () => Date.now() + 10 * 3_600_000;

// gc runs from a second context: the writer's own session would otherwise protect
// everything it wrote (which is the point of sessions, tested below).
const collect = (ctx: StoreContext, options: Parameters<typeof gc>[1] = {}) => {
  ctx.session.close();
  const other = openStoreContext(ctx.layout.root);
  try {
    return gc(other, options);
  } finally {
    other.session.close();
  }
};

Deno.test("gc() keeps everything reachable from refs through records and trees, sweeps the rest", () =>
  withStore((ctx, dir) => {
    Deno.mkdirSync(`${dir}/out/sub`, { recursive: true });
    Deno.writeTextFileSync(`${dir}/out/sub/f`, "deep");
    const tree = putDir(ctx, `${dir}/out`, false).id;
    const input = blob(ctx, "input");
    const run = record(ctx, [tree, input], 1);
    updateRef(ctx.layout, "scenarios/s", run, { message: "m" });
    const garbage = [blob(ctx, "g1"), record(ctx, [blob(ctx, "g2")], 2)];
    const report = collect(ctx, { graceMs: 0, nowMs: later() });
    assert.equal(report.objectsRemoved, 3);
    for (const id of garbage) assert.equal(hasObject(ctx, id), false);
    for (const id of [tree, input, run]) assert.equal(hasObject(ctx, id), true);
    assert.equal(report.reachable, 5); // run, input, out/, out/sub/, out/sub/f
  }));

Deno.test("gc() stops at a damaged root record, whatever its bytes look like, and removes nothing it names", () =>
  withStore((ctx) => {
    const input = blob(ctx, "input");
    const run = record(ctx, [input], 1);
    updateRef(ctx.layout, "scenarios/s", run, { message: "m" });
    // Overwritten in place with bytes that look like a blob's: read by their first bytes
    // alone, the record would name nothing, and its input would be swept.
    const path = objectPath(ctx.layout, run);
    Deno.chmodSync(path, 0o644);
    Deno.writeTextFileSync(path, "not a record at all");
    for (const dryRun of [true, false]) {
      assert.throws(
        () => collect(ctx, { graceMs: 0, nowMs: later(), dryRun }),
        (e: Error) => /damaged/.test(e.message) && e.message.includes(run.slice(0, 12)),
      );
      assert.equal(hasObject(ctx, input), true, `the input is kept (dry run: ${dryRun})`);
    }
  }));

Deno.test("gc() stops at a damaged record a root links to when its bytes look like a blob's, removing nothing it names", () =>
  withStore((ctx) => {
    const input = blob(ctx, "input");
    const run = record(ctx, [input], 1);
    const scenario = record(ctx, [run], 2);
    updateRef(ctx.layout, "scenarios/s", scenario, { message: "m" });
    const path = objectPath(ctx.layout, run);
    Deno.chmodSync(path, 0o644);
    Deno.writeTextFileSync(path, "zeroed, truncated, overwritten: no longer a record");
    assert.throws(
      () => collect(ctx, { graceMs: 0, nowMs: later() }),
      (e: Error) => /damaged/.test(e.message) && e.message.includes(run.slice(0, 12)),
    );
    assert.equal(hasObject(ctx, input), true);
  }));

Deno.test("gc() dry run reports the same counts and removes nothing", () =>
  withStore((ctx) => {
    const keep = blob(ctx, "keep");
    updateRef(ctx.layout, "r", keep, { message: "m" });
    const drop = blob(ctx, "drop-me");
    const dry = collect(ctx, { graceMs: 0, dryRun: true, nowMs: later() });
    assert.equal(dry.objectsRemoved, 1);
    assert.equal(dry.bytesRemoved, 7);
    assert.equal(hasObject(ctx, drop), true);
    const real = gc(openStoreContext(ctx.layout.root), { graceMs: 0, nowMs: later() });
    assert.equal(real.objectsRemoved, dry.objectsRemoved);
    assert.equal(hasObject(ctx, drop), false);
  }));

Deno.test("gc() keeps unreachable objects younger than the grace period", () =>
  withStore((ctx) => {
    const young = blob(ctx, "young");
    const report = collect(ctx, { graceMs: 3_600_000 });
    assert.equal(report.objectsRemoved, 0);
    assert.equal(report.youngKept, 1);
    assert.equal(hasObject(ctx, young), true);
  }));

Deno.test("gc() keeps what a young unreachable record links to, however old", () =>
  withStore((ctx) => {
    // A run whose inputs were written long ago, recorded just now and not yet referenced:
    // a cache hit may make it reachable again, and then its links must still resolve.
    const input = blob(ctx, "old input");
    const producer = record(ctx, [input], 1);
    const old = new Date(Date.now() - 2 * 3_600_000);
    for (const id of [input, producer]) Deno.utimeSync(objectPath(ctx.layout, id), old, old);
    const run = record(ctx, [input, producer, blob(ctx, "fresh output")], 2);
    const garbage = blob(ctx, "old garbage");
    Deno.utimeSync(objectPath(ctx.layout, garbage), old, old);
    const report = collect(ctx, { graceMs: 3_600_000 });
    assert.equal(report.objectsRemoved, 1);
    assert.equal(report.youngKept, 4);
    assert.equal(report.missing, 0);
    assert.equal(hasObject(ctx, garbage), false);
    const other = openStoreContext(ctx.layout.root);
    try {
      assert.deepEqual(fsck(other).problems, []);
      assert.equal(hasObject(other, run), true);
    } finally {
      other.session.close();
    }
  }));

Deno.test("gc() keeps what a live writer session wrote, and its temporary roots' closures", () =>
  withStore((ctx) => {
    const old = blob(ctx, "resolved earlier");
    const run = record(ctx, [old], 1);
    ctx.session.close();
    // A new live session that found `run` in the cache and protects it.
    const writer = openStoreContext(ctx.layout.root);
    const written = blob(writer, "written by the live session");
    writer.session.locked(() => writer.session.protect([run]));
    const collector = openStoreContext(ctx.layout.root);
    const report = gc(collector, { graceMs: 0, nowMs: later() });
    assert.equal(report.objectsRemoved, 0);
    for (const id of [old, run, written]) assert.equal(hasObject(ctx, id), true);
    writer.session.close();
    const after = gc(collector, { graceMs: 0, nowMs: later() });
    assert.equal(after.objectsRemoved, 3);
    collector.session.close();
  }));

Deno.test("gc() treats young reflog entries as roots and expired ones as not", () =>
  withStore((ctx) => {
    const first = blob(ctx, "first");
    const second = blob(ctx, "second");
    updateRef(ctx.layout, "r", first, { message: "m" });
    updateRef(ctx.layout, "r", second, { message: "m" });
    collect(ctx, { graceMs: 0, nowMs: later() });
    assert.equal(hasObject(ctx, first), true, "kept by the reflog");
    collect(ctx, { graceMs: 0, nowMs: later(), reflogExpiryMs: 1000 });
    assert.equal(hasObject(ctx, first), false, "reflog entry expired");
    assert.equal(hasObject(ctx, second), true, "still the ref's value");
  }));

Deno.test("gc() drops index entries whose record it removes and keeps the others", () =>
  withStore((ctx) => {
    const kept = record(ctx, [], 1);
    const dropped = record(ctx, [], 2);
    updateRef(ctx.layout, "r", kept, { message: "m" });
    const index = new AppendIndex(ctx.layout, "cache");
    index.append("key-kept", kept);
    index.append("key-dropped", dropped);
    index.append("not-an-id", "size 123 whatever");
    index.close();
    const report = collect(ctx, { graceMs: 0, nowMs: later() });
    assert.equal(report.indexEntriesRemoved, 1);
    const fresh = new AppendIndex(ctx.layout, "cache");
    assert.equal(fresh.get("key-kept"), kept);
    assert.equal(fresh.get("key-dropped"), undefined);
    assert.equal(fresh.get("not-an-id"), "size 123 whatever");
  }));

Deno.test("gc() removes old leftovers in tmp/ and session files of dead processes", async () => {
  await withStore(async (ctx) => {
    Deno.writeTextFileSync(`${ctx.layout.tmp}/obj-leftover`, "partial");
    const child = new Deno.Command(Deno.execPath(), { args: ["eval", "1"] }).spawn();
    const { pid } = child;
    await child.status;
    const { hostname } = await import("node:os");
    Deno.writeTextFileSync(`${ctx.layout.sessions}/${hostname()}-${pid}-s-x-0`, "start 1\n");
    const report = collect(ctx, { graceMs: 0, nowMs: later() });
    assert.equal(report.tmpFilesRemoved, 1);
    assert.equal(report.deadSessionsRemoved, 1);
    assert.deepEqual([...Deno.readDirSync(ctx.layout.sessions)], []);
  });
});

Deno.test("gc() removes an old scratch directory in tmp/ and keeps one younger than a live session", () =>
  withStore((ctx) => {
    // A killed pipeline's step directory: nested, with a read-only file in it.
    const left = `${ctx.layout.tmp}/run-1-x-0`;
    Deno.mkdirSync(`${left}/out/field`, { recursive: true });
    Deno.writeTextFileSync(`${left}/out/field/part`, "half-written");
    Deno.chmodSync(`${left}/out/field/part`, 0o444);
    const old = new Date(Date.now() - 2 * 3_600_000);
    Deno.utimeSync(left, old, old);
    // A live process's directory, made after its session started.
    ctx.session.locked(() => ctx.session.protect([]));
    const live = `${ctx.layout.tmp}/run-2-y-0`;
    Deno.mkdirSync(`${live}/out`, { recursive: true });
    const other = openStoreContext(ctx.layout.root);
    try {
      const report = gc(other, { graceMs: 0, nowMs: Date.now() + 60_000 });
      assert.equal(report.tmpFilesRemoved, 1);
    } finally {
      other.session.close();
    }
    const names = [...Deno.readDirSync(ctx.layout.tmp)].map((e) => e.name).sort();
    assert.deepEqual(names, ["run-2-y-0", "sessions"]);
  }));
