import assert from "node:assert/strict";
import { AppendIndex } from "../../store/append_index.ts";
import { fsck } from "../../store/fsck.ts";
import { putDir } from "../../store/ingest_dir.ts";
import { objectPath } from "../../store/layout.ts";
import { putBytes } from "../../store/objects.ts";
import { encodeRecord } from "../../store/record.ts";
import { updateRef } from "../../store/refs.ts";
import type { StoreContext } from "../../store/objects.ts";
import { withStore } from "./_helpers.ts";

const enc = new TextEncoder();
const populate = (ctx: StoreContext, dir: string) => {
  Deno.mkdirSync(`${dir}/d/e`, { recursive: true });
  Deno.writeTextFileSync(`${dir}/d/e/f`, "file");
  const tree = putDir(ctx, `${dir}/d`, false).id;
  const data = putBytes(ctx, "blob", enc.encode("data")).id;
  const run = putBytes(ctx, "record", encodeRecord({ type: "run", links: [tree, data] })).id;
  updateRef(ctx.layout, "scenarios/s", run, { message: "m" });
  const index = new AppendIndex(ctx.layout, "cache");
  index.append("k", run);
  index.close();
  return { tree, data, run };
};

Deno.test("fsck() of a healthy store is ok and counts objects by kind", () =>
  withStore((ctx, dir) => {
    populate(ctx, dir);
    const report = fsck(ctx);
    assert.deepEqual(report.problems, []);
    assert.equal(report.ok, true);
    assert.deepEqual(report.byKind, { blob: 2, tree: 2, record: 1 });
    assert.equal(report.refs, 1);
    assert.equal(report.indexEntries, 1);
  }));

Deno.test("fsck() detects one flipped byte in a blob and names the object", () =>
  withStore((ctx, dir) => {
    const { data } = populate(ctx, dir);
    const path = objectPath(ctx.layout, data);
    Deno.chmodSync(path, 0o644);
    Deno.writeTextFileSync(path, "dbta");
    Deno.chmodSync(path, 0o444);
    const report = fsck(ctx);
    assert.equal(report.ok, false);
    assert.deepEqual(report.problems.map((p) => [p.kind, p.subject]), [["corrupt", data]]);
  }));

Deno.test("fsck() reports missing links, dangling refs and dangling index entries", () =>
  withStore((ctx, dir) => {
    const { data, run } = populate(ctx, dir);
    Deno.removeSync(objectPath(ctx.layout, data));
    Deno.removeSync(objectPath(ctx.layout, run));
    const kinds = fsck(ctx).problems.map((p) => p.kind).sort();
    assert.deepEqual(kinds, ["dangling-index", "dangling-ref"]);
  }));

Deno.test("fsck() reports a record link to a missing object and a writable object", () =>
  withStore((ctx, dir) => {
    const { data, run } = populate(ctx, dir);
    Deno.removeSync(objectPath(ctx.layout, data));
    Deno.chmodSync(objectPath(ctx.layout, run), 0o644);
    const problems = fsck(ctx).problems;
    assert.deepEqual(problems.map((p) => [p.kind, p.subject]).sort(), [["missing", data], [
      "writable",
      run,
    ]]);
  }));

// A record overwritten in place: with another record's shape, and with bytes whose
// start fits only a blob (which the quick check must not take for one).
for (
  const [what, bytes] of [
    ["a damaged record", '{"type":"forged"}'],
    ["a ref's record overwritten with bytes that look like a blob's", "not a record at all"],
  ] as const
) {
  Deno.test(`fsck({ quick }) finds ${what}`, () =>
    withStore((ctx, dir) => {
      const { run } = populate(ctx, dir);
      const path = objectPath(ctx.layout, run);
      Deno.chmodSync(path, 0o644);
      Deno.writeTextFileSync(path, bytes);
      Deno.chmodSync(path, 0o444);
      assert.ok(
        fsck(ctx, { quick: true }).problems.some((p) => p.kind === "corrupt" && p.subject === run),
      );
    }));
}

Deno.test("fsck() reports an index entry whose value starts with a missing object id", () =>
  withStore((ctx, dir) => {
    const { run } = populate(ctx, dir);
    // The cache and lineage indexes write "<run id> <more>", as gc reads them.
    const index = new AppendIndex(ctx.layout, "lineage");
    index.append(`run:${run}`, `${run} {"step":"s"}`);
    index.append("size", "123 not an id");
    index.close();
    assert.deepEqual(fsck(ctx).problems, []);
    updateRef(ctx.layout, "scenarios/s", null, { message: "drop" });
    Deno.removeSync(objectPath(ctx.layout, run));
    assert.deepEqual(
      fsck(ctx).problems.map((p) => [p.kind, p.subject, p.detail]).sort(),
      [
        ["dangling-index", "cache:k", `names missing ${run}`],
        ["dangling-index", `lineage:run:${run}`, `names missing ${run}`],
      ],
    );
  }));
