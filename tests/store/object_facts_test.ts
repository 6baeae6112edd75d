// Object facts: what gc and fsck learn of an object, trusted by the next pass while
// the object's file is unchanged (size, mtime, inode, change time), and never for a
// file changed within the racy window. A fact is told apart from a read by making
// it say something the bytes do not (a link the record does not have).
import assert from "node:assert/strict";
import { fsck } from "../../store/fsck.ts";
import { gc } from "../../store/gc.ts";
import { putDir } from "../../store/ingest_dir.ts";
import { objectPath } from "../../store/layout.ts";
import { putBytes } from "../../store/objects.ts";
import { encodeRecord } from "../../store/record.ts";
import { updateRef } from "../../store/refs.ts";
import type { ObjectFact, ObjectFacts } from "../../store/object_facts.ts";
import { statOf } from "../../store/object_facts.ts";
import type { StoreContext } from "../../store/objects.ts";
import { withStore } from "./_helpers.ts";
import { openStoreContext } from "../../store/object_store.ts";
import { StoreError } from "../../store/errors.ts";

const enc = new TextEncoder();
// Past the racy window of files written just now.
const later = () => Date.now() + 10_000;
const HOUR = 3_600_000;

const memoryFacts = () => {
  const map = new Map<string, ObjectFact>();
  const forgotten: string[] = [];
  const facts: ObjectFacts = {
    get: (id) => map.get(id),
    learn: (id, fact) => void map.set(id, fact),
    forget: (id) => {
      forgotten.push(id);
      map.delete(id);
    },
  };
  return { facts, map, forgotten };
};

const populate = (ctx: StoreContext, dir: string) => {
  Deno.mkdirSync(`${dir}/d/e`, { recursive: true });
  Deno.writeTextFileSync(`${dir}/d/e/f`, "file");
  const tree = putDir(ctx, `${dir}/d`, false).id;
  const data = putBytes(ctx, "blob", enc.encode("data")).id;
  const loose = putBytes(ctx, "blob", enc.encode("nothing links me")).id;
  const run = putBytes(ctx, "record", encodeRecord({ type: "run", links: [tree, data] })).id;
  updateRef(ctx.layout, "scenarios/s", run, { message: "m" });
  return { tree, data, loose, run };
};

// gc from a second context: the writer's own session would protect what it wrote.
const collect = (ctx: StoreContext, options: Parameters<typeof gc>[1]) => {
  ctx.session.close();
  const other = openStoreContext(ctx.layout.root);
  try {
    return gc(other, options);
  } finally {
    other.session.close();
  }
};

const damage = (ctx: StoreContext, id: string, text: string) => {
  const path = objectPath(ctx.layout, id);
  Deno.chmodSync(path, 0o644);
  Deno.writeTextFileSync(path, text);
  Deno.chmodSync(path, 0o444);
};

Deno.test("fsck() learns the kind, size and links of what it reads, once a file is past the racy window", () =>
  withStore((ctx, dir) => {
    const { tree, data, run } = populate(ctx, dir);
    const now = memoryFacts();
    fsck(ctx, { quick: true, facts: now.facts });
    assert.equal(now.map.size, 0, "files written just now are not learned");
    const { facts, map } = memoryFacts();
    fsck(ctx, { quick: true, facts, nowMs: later() });
    assert.equal(map.size, 6);
    const fact = map.get(run)!;
    assert.deepEqual([fact.kind, fact.type, [...fact.links].sort()], [
      "record",
      "run",
      [tree, data].sort(),
    ]);
    assert.equal(fact.stat, statOf(Deno.lstatSync(objectPath(ctx.layout, run))));
    assert.equal(map.get(data)!.kind, "blob");
  }));

Deno.test("fsck({ quick }) trusts the fact of an unchanged file without reading it; a full fsck reads", () =>
  withStore((ctx, dir) => {
    const { run } = populate(ctx, dir);
    const { facts, map } = memoryFacts();
    fsck(ctx, { quick: true, facts, nowMs: later() });
    const ghost = "e".repeat(64);
    // The fact says more than the bytes: only a pass that did not read sees the link.
    map.set(run, { ...map.get(run)!, links: [...map.get(run)!.links, ghost] });
    const quick = fsck(ctx, { quick: true, facts, nowMs: later() });
    assert.deepEqual(quick.problems.map((p) => [p.kind, p.subject]), [["missing", ghost]]);
    const full = fsck(ctx, { facts, nowMs: later() });
    assert.deepEqual(full.problems, []);
    assert.ok(!map.get(run)!.links.includes(ghost), "the full fsck learned what the bytes say");
  }));

Deno.test("fsck({ quick }) still finds a damaged record whose fact was learned before the damage", () =>
  withStore((ctx, dir) => {
    const { run } = populate(ctx, dir);
    const { facts, map, forgotten } = memoryFacts();
    assert.deepEqual(fsck(ctx, { quick: true, facts, nowMs: later() }).problems, []);
    assert.ok(map.has(run));
    damage(ctx, run, '{"type":"forged"}');
    const report = fsck(ctx, { quick: true, facts, nowMs: later() });
    assert.ok(report.problems.some((p) => p.kind === "corrupt" && p.subject === run));
    assert.ok(forgotten.includes(run) && !map.has(run));
  }));

Deno.test("gc() marks from the fact of an unchanged file, and reads a file changed since", () =>
  withStore((ctx, dir) => {
    const { run, loose } = populate(ctx, dir);
    const { facts, map } = memoryFacts();
    collect(ctx, { dryRun: true, facts, nowMs: later() + HOUR });
    assert.ok(map.has(run), "gc learned the run record");
    // A fact naming the loose blob keeps it: gc did not read the record.
    map.set(run, { ...map.get(run)!, links: [...map.get(run)!.links, loose] });
    const kept = collect(ctx, { dryRun: true, graceMs: 0, facts, nowMs: later() + HOUR });
    assert.equal(kept.objectsRemoved, 0);
    // Another mtime (and so change time), the same bytes: the record is read again.
    const old = new Date("2020-01-01T00:00:00Z");
    Deno.utimeSync(objectPath(ctx.layout, run), old, old);
    const read = collect(ctx, { graceMs: 0, facts, nowMs: later() + HOUR });
    assert.equal(read.objectsRemoved, 1);
    assert.throws(() => Deno.lstatSync(objectPath(ctx.layout, loose)), Deno.errors.NotFound);
    assert.ok(!map.get(run)!.links.includes(loose));
  }));

Deno.test("gc() stops on a root truncated after its fact was learned", () =>
  withStore((ctx, dir) => {
    const { run } = populate(ctx, dir);
    const { facts } = memoryFacts();
    collect(ctx, { dryRun: true, facts, nowMs: later() + HOUR });
    const path = objectPath(ctx.layout, run);
    Deno.chmodSync(path, 0o644);
    Deno.truncateSync(path, 10);
    Deno.chmodSync(path, 0o444);
    assert.throws(
      () => collect(ctx, { graceMs: 0, facts, nowMs: later() + HOUR }),
      (e: unknown) => e instanceof StoreError && e.reason._tag === "UnreadableRoot",
    );
  }));
