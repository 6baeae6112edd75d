import assert from "node:assert/strict";
import { AppendIndex } from "../../store/append_index.ts";
import { reasonOf, withStore } from "./_helpers.ts";

const key = (i: number) => i.toString(16).padStart(64, "0");

Deno.test("AppendIndex: the last entry for a key wins and getAll() keeps every value in order", () =>
  withStore((ctx) => {
    const index = new AppendIndex(ctx.layout, "cache");
    index.append("k", "v1");
    index.append("k", "v2");
    index.append("other", "x");
    assert.equal(index.get("k"), "v2");
    const fresh = new AppendIndex(ctx.layout, "cache");
    assert.equal(fresh.get("k"), "v2");
    assert.deepEqual(fresh.getAll("k"), ["v1", "v2"]);
    assert.equal(fresh.get("missing"), undefined);
    index.close();
  }));

Deno.test("AppendIndex: a reader sees entries another handle appended after it loaded", () =>
  withStore((ctx) => {
    const reader = new AppendIndex(ctx.layout, "cache");
    assert.equal(reader.get(key(1)), undefined);
    const writer = new AppendIndex(ctx.layout, "cache");
    writer.append(key(1), "later");
    assert.equal(reader.get(key(1)), "later");
    writer.close();
  }));

Deno.test("AppendIndex: damaged and torn lines are skipped, the entries after them kept", () =>
  withStore((ctx) => {
    const index = new AppendIndex(ctx.layout, "cache");
    index.append("a", "1");
    const path = index.path;
    Deno.writeTextFileSync(path, "\nb\t2\tdeadbeef", { append: true }); // wrong checksum
    Deno.writeTextFileSync(path, "\nc\t3\t12", { append: true }); // torn mid-checksum
    Deno.writeTextFileSync(path, "\ngarbage without tabs", { append: true });
    index.append("d", "4");
    const fresh = new AppendIndex(ctx.layout, "cache");
    assert.equal(fresh.get("a"), "1");
    assert.equal(fresh.get("b"), undefined);
    assert.equal(fresh.get("c"), undefined);
    assert.equal(fresh.get("d"), "4");
    index.close();
  }));

Deno.test("AppendIndex: a last line still being written is read once it is complete", () =>
  withStore((ctx) => {
    const writer = new AppendIndex(ctx.layout, "cache");
    writer.append("a", "1");
    const reader = new AppendIndex(ctx.layout, "cache");
    assert.equal(reader.get("a"), "1");
    const probe = new AppendIndex(ctx.layout, "probe");
    probe.append("b", "2");
    const full = Deno.readTextFileSync(probe.path);
    Deno.writeTextFileSync(writer.path, full.slice(0, 5), { append: true }); // half a write
    assert.equal(reader.get("b"), undefined);
    Deno.writeTextFileSync(writer.path, full.slice(5), { append: true }); // the rest
    assert.equal(reader.get("b"), "2");
    writer.close();
    probe.close();
  }));

Deno.test("AppendIndex: compact() keeps the newest entry per key and loses no concurrent append", () =>
  withStore((ctx) => {
    const a = new AppendIndex(ctx.layout, "cache");
    const b = new AppendIndex(ctx.layout, "cache");
    for (let i = 0; i < 100; i++) a.append(key(i % 10), `v${i}`);
    b.append("before", "1");
    const { duplicates } = a.compact({ unique: true });
    assert.equal(duplicates, 90);
    b.append("after", "2"); // b still holds the old file open: it must notice and re-append
    const fresh = new AppendIndex(ctx.layout, "cache");
    for (let i = 0; i < 10; i++) assert.equal(fresh.get(key(i)), `v${90 + i}`);
    assert.equal(fresh.get("before"), "1");
    assert.equal(fresh.get("after"), "2");
    a.close();
    b.close();
  }));

Deno.test("AppendIndex: compact() drops what keep() rejects", () =>
  withStore((ctx) => {
    const index = new AppendIndex(ctx.layout, "cache");
    index.append("a", "keep");
    index.append("b", "drop");
    assert.equal(index.compact({ keep: (_k, v) => v !== "drop" }).rejected, 1);
    const fresh = new AppendIndex(ctx.layout, "cache");
    assert.equal(fresh.get("a"), "keep");
    assert.equal(fresh.get("b"), undefined);
    index.close();
  }));

Deno.test("AppendIndex: keys and values with tabs or newlines are refused", () =>
  withStore((ctx) => {
    const index = new AppendIndex(ctx.layout, "cache");
    assert.equal(reasonOf(() => index.append("a\tb", "v")), "InvalidInput");
    assert.equal(reasonOf(() => index.append("a", "v\nw")), "InvalidInput");
    assert.equal(reasonOf(() => index.append("", "v")), "InvalidInput");
    assert.equal(reasonOf(() => new AppendIndex(ctx.layout, "../escape")), "InvalidInput");
  }));

Deno.test("AppendIndex: getAll() in the appending process lists each of its entries once", () =>
  withStore((ctx) => {
    const index = new AppendIndex(ctx.layout, "cache");
    index.append("k", "v1");
    assert.deepEqual(index.getAll("k"), ["v1"]);
    index.append("k", "v2");
    const other = new AppendIndex(ctx.layout, "cache");
    other.append("k", "theirs");
    index.append("k", "v3");
    assert.equal(index.get("k"), "v3");
    assert.deepEqual(index.getAll("k"), ["v1", "v2", "theirs", "v3"]);
    index.close();
    other.close();
  }));
