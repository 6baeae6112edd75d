// Damaged roots: after a machine crash the newest object is the likeliest to be
// short, and the newest scenario record is a root. A root gc cannot read must stop
// gc with an error that names it — before anything is removed — never count as "no
// roots": `gc --keep-last 1` once removed all 46 objects of a scenario whose head
// record was truncated, and plain gc the objects reached only through it.
//
// Each case runs the CLI's pipeline fixture (a real scenario, 3 iterations, twice:
// a history of two records), damages one record the way a crash does (truncated to
// half its bytes, as the file system left it), and runs `cairn gc` as a user would.
// The store's object list is compared before and after: nothing may go (a damaged record
// the read of a history sets aside into quarantine/ is kept there, not lost).
import assert from "node:assert/strict";
import { Effect } from "effect";
import { objectPath } from "../../store/layout.ts";
import { openStoreContext } from "../../store/object_store.ts";
import { putBytes } from "../../store/objects.ts";
import { updateRef } from "../../store/refs.ts";
import { listObjects } from "../../store/_walk.ts";
import { cairn, inStore, runDemo, withTempDir } from "../cli/_fixture.ts";

// The store's objects, with those a read set aside as damaged (`quarantine/<id>-…`):
// setting a damaged object aside keeps its bytes, so it counts as still there.
const objectsOf = (root: string): string[] => {
  const ctx = openStoreContext(root, { create: false });
  try {
    let aside: string[] = [];
    try {
      aside = [...Deno.readDirSync(ctx.layout.quarantine)].map((e) => e.name.slice(0, 64));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    return [...new Set([...listObjects(ctx).ids, ...aside])].sort();
  } finally {
    ctx.session.close();
  }
};

/** Cuts object `id` to half its bytes, as a crash of the machine can leave a new file. */
const truncate = (root: string, id: string): void => {
  const path = objectPath(openStoreContext(root, { create: false }).layout, id);
  const size = Deno.statSync(path).size;
  Deno.chmodSync(path, 0o644);
  Deno.truncateSync(path, Math.floor(size / 2));
  Deno.chmodSync(path, 0o444);
};

const counts = { cases: 0, gcRuns: 0, objectsChecked: 0, lost: 0 };

/** `cairn gc <args>` must fail naming `subject` and `id`, and remove nothing. */
const assertStops = async (
  root: string,
  args: readonly string[],
  subject: RegExp,
  id: string,
): Promise<void> => {
  const before = objectsOf(root);
  const result = await cairn(["gc", "--grace", "0s", ...args, "--store", root]);
  counts.gcRuns++;
  const after = objectsOf(root);
  counts.objectsChecked += before.length;
  counts.lost += before.filter((o) => !after.includes(o)).length;
  const label = `cairn gc ${args.join(" ")}`;
  assert.deepEqual(after, before, `${label} removed objects`);
  assert.equal(result.code, 1, `${label}: exit ${result.code}\n${result.stdout}${result.stderr}`);
  assert.match(result.stderr, /^error: Cannot collect garbage: /m, label);
  assert.match(result.stderr, subject, label);
  assert.ok(result.stderr.includes(id), `${label} names ${id}: ${result.stderr}`);
  assert.match(result.stderr, /cairn fsck --repair/, label);
};

Deno.test("gc stops, naming the ref, when a scenario's newest record is truncated", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    await runDemo(root, { rate: 1.1, n: 3 });
    const head = await runDemo(root, { rate: 1.3, n: 3 });
    truncate(root, head.record);
    for (
      const args of [[], ["--keep-last", "1"], ["--keep-last", "1", "--dry-run"], ["--dry-run"]]
    ) {
      await assertStops(root, args, /ref "scenarios\/demo"/, head.record);
    }
    counts.cases++;
  });
});

Deno.test("gc stops, naming the record, when a run record a scenario reaches is truncated", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const ran = await runDemo(root, { rate: 1.1, n: 3 });
    const run = ran.invocations.find((i) => i.step === "grow" && i.iteration === 2)!.run;
    truncate(root, run);
    await assertStops(root, [], /linked from /, run);
    await assertStops(root, ["--keep-last", "1"], /linked from /, run);
    counts.cases++;
  });
});

Deno.test("gc --keep-last stops when a record it must keep is truncated, and collects a truncated one it drops", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const oldest = await runDemo(root, { rate: 1.1, n: 2 });
    const middle = await runDemo(root, { rate: 1.2, n: 2 });
    await runDemo(root, { rate: 1.3, n: 2 });
    truncate(root, middle.record);
    await assertStops(root, ["--keep-last", "2"], /scenario "demo"/, middle.record);
    await assertStops(root, [], /reflog|linked from/, middle.record);
    counts.cases++;

    // Kept: the newest alone. The truncated record is older than that: it goes, and
    // so does the oldest, which only it linked to.
    const result = await cairn(["gc", "--grace", "0s", "--keep-last", "1", "--store", root]);
    counts.gcRuns++;
    assert.equal(result.code, 0, result.stderr);
    const left = objectsOf(root);
    assert.ok(!left.includes(middle.record) && !left.includes(oldest.record));
    const fsck = await cairn(["fsck", "--store", root]);
    assert.equal(fsck.code, 0, fsck.stdout);
    counts.cases++;
  });
});

Deno.test("a scenario ref that points at a blob: show and lineage say so (exit 2), gc --keep-last keeps it", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    await runDemo(root, { rate: 1.1, n: 1 });
    const ctx = openStoreContext(root, { create: false });
    let blob: string;
    try {
      blob = putBytes(ctx, "blob", new TextEncoder().encode("not a scenario\n")).id;
      updateRef(ctx.layout, "scenarios/blobby", blob, { message: "by hand" });
    } finally {
      ctx.session.close();
    }
    for (const command of ["show", "lineage"]) {
      const result = await cairn([command, "blobby", "--store", root]);
      assert.equal(result.code, 2, `${command}: exit ${result.code}: ${result.stderr}`);
      assert.match(
        result.stderr,
        /ref "scenarios\/blobby" points at a blob, not a scenario record/,
      );
      assert.doesNotMatch(result.stderr, /damaged|hash to/);
      counts.cases++;
    }
    const result = await cairn(["gc", "--grace", "0s", "--keep-last", "1", "--store", root]);
    counts.gcRuns++;
    assert.equal(result.code, 0, result.stderr);
    assert.ok(objectsOf(root).includes(blob), "the blob the ref names is kept");
    const ref = await inStore(root, (store) => store.readRef("scenarios/blobby"));
    assert.equal(ref, blob);
    assert.equal((await cairn(["fsck", "--store", root])).code, 0, "no dangling ref");
    const runs = await inStore(root, (store) => Effect.map(store.listRefs(), (r) => r.length));
    assert.equal(runs, 2);
    counts.cases++;
  });
});

Deno.test("damaged_roots_test: figures", () => {
  console.log(
    `damaged-roots suite: ${counts.cases} cases, ${counts.gcRuns} gc runs over ` +
      `${counts.objectsChecked} objects with a damaged root or link: ${counts.lost} lost`,
  );
  assert.equal(counts.lost, 0);
});
