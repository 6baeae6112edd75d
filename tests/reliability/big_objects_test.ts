// Big objects: a tree or a record larger than 64 MiB is an object like any other.
// gc must follow its links (a 71 MB tree of a 300,001-file Dir output once lost its
// contents to the next gc, and a 69 MB scenario record its runs), fsck must find it
// sound, and both must read it in chunks, not whole.
//
// The objects are built here byte by byte (sorted by construction, which
// encodeTree's comparison sort would take seconds over) and checked against the
// store's own codecs on a small sample first. Sizes: 68 MiB each at scale 1,
// times CAIRN_RELIABILITY_SCALE.
//
// The memory check runs gc and fsck in a child process and reads its peak resident
// size (VmHWM) before and after: reading either object whole would add at least its
// size to the peak; streaming adds a few chunks.
import assert from "node:assert/strict";
import { fsck } from "../../store/fsck.ts";
import { gc } from "../../store/gc.ts";
import { openStoreContext } from "../../store/object_store.ts";
import { hasObject, putBytes, type StoreContext } from "../../store/objects.ts";
import { decodeRecord, encodeRecord } from "../../store/record.ts";
import { updateRef } from "../../store/refs.ts";
import { encodeTree, type TreeEntry } from "../../store/tree.ts";
import { spawnFixture } from "./_pipeline_child.ts";

const SCALE = Number(Deno.env.get("CAIRN_RELIABILITY_SCALE") ?? "1");
if (!(SCALE > 0)) throw new Error(`Cannot size the suite: CAIRN_RELIABILITY_SCALE="${SCALE}"`);
const TARGET = Math.round(68 * 2 ** 20 * SCALE);
const HOUR = 3_600_000;
const encoder = new TextEncoder();

const hexBytes = (hex: string): Uint8Array => {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
};

// The name of entry i: a sortable 8-digit prefix and a long tail (what a Dir of many
// files with long names looks like).
const entryName = (i: number) => `${String(i).padStart(8, "0")}-${"n".repeat(170)}`;

/** Tree bytes of `count` file entries (entry i names `ids[i % ids.length]`), then `extra`. */
const bigTree = (count: number, ids: readonly string[], extra: TreeEntry): Uint8Array => {
  const raw = ids.map(hexBytes);
  const head = encoder.encode("100644 ");
  const nameLength = entryName(0).length;
  const entrySize = head.length + nameLength + 1 + 32;
  const extraBytes = encodeTree([extra]);
  const out = new Uint8Array(count * entrySize + extraBytes.length);
  const tail = encoder.encode(entryName(0).slice(8));
  for (let i = 0; i < count; i++) {
    const at = i * entrySize;
    out.set(head, at);
    out.set(encoder.encode(String(i).padStart(8, "0")), at + head.length);
    out.set(tail, at + head.length + 8);
    out[at + head.length + nameLength] = 0;
    out.set(raw[i % raw.length]!, at + head.length + nameLength + 1);
  }
  out.set(extraBytes, count * entrySize); // "zz…" sorts after every digit
  return out;
};

/** Canonical record bytes: a scenario with `count` invocations naming `runs` and linking them. */
const bigRecord = (count: number, runs: readonly string[]): Uint8Array => {
  const parts: string[] = ['{"invocations":['];
  for (let i = 0; i < count; i++) {
    const run = runs[i % runs.length]!;
    parts.push(
      `${i === 0 ? "" : ","}{"durationMs":${(i % 977) / 8},"hit":${
        i % 3 === 0
      },"iteration":${i},"run":"${run}","status":"ok","step":"assignment"}`,
    );
  }
  parts.push(`],"links":${JSON.stringify([...runs].sort())},"type":"scenario"}`);
  return encoder.encode(parts.join(""));
};

interface Built {
  readonly root: string;
  readonly tree: string;
  readonly record: string;
  /** Every object the two reach, which must all survive gc. */
  readonly reached: readonly string[];
  readonly garbage: string;
}

const build = (dir: string): Built => {
  const root = `${dir}/store`;
  const ctx = openStoreContext(root);
  try {
    const blob = (text: string) => putBytes(ctx, "blob", encoder.encode(text)).id;
    const files = Array.from({ length: 1000 }, (_, i) => blob(`file ${i}\n`));
    const inner = blob("inside the subdirectory\n");
    const sub = putBytes(ctx, "tree", encodeTree([{ name: "f", mode: "file", id: inner }])).id;
    // Known answer first: the hand-built bytes are what encodeTree writes.
    const sample = bigTree(3, files, { name: "zz-sub", mode: "directory", id: sub });
    const entries: TreeEntry[] = [0, 1, 2].map((i) => ({
      name: entryName(i),
      mode: "file",
      id: files[i]!,
    }));
    entries.push({ name: "zz-sub", mode: "directory", id: sub });
    assert.deepEqual(sample, encodeTree(entries), "the hand-built tree matches encodeTree");
    const entrySize = 7 + entryName(0).length + 1 + 32;
    const treeBytes = bigTree(Math.ceil(TARGET / entrySize), files, {
      name: "zz-sub",
      mode: "directory",
      id: sub,
    });
    const tree = putBytes(ctx, "tree", treeBytes).id;

    const runs = Array.from({ length: 500 }, (_, i) => {
      const output = blob(`output of run ${i}\n`);
      return putBytes(
        ctx,
        "record",
        encodeRecord({ type: "run", step: "assignment", n: i, links: [output] }),
      ).id;
    });
    const small = bigRecord(2, runs.slice(0, 2));
    assert.deepEqual(
      small,
      encodeRecord(decodeRecord(small)),
      "the hand-built record is canonical JSON",
    );
    const perInvocation = bigRecord(2, runs).length - bigRecord(1, runs).length;
    const recordBytes = bigRecord(Math.ceil(TARGET / perInvocation), runs);
    const record = putBytes(ctx, "record", recordBytes).id;
    assert.ok(treeBytes.length > 64 * 2 ** 20 && recordBytes.length > 64 * 2 ** 20);

    updateRef(ctx.layout, "dirs/big", tree, { message: "a big Dir output" });
    updateRef(ctx.layout, "scenarios/big", record, { message: "a long scenario" });
    const outputs = runs.map((r) => {
      const links = decodeRecord(Deno.readFileSync(objectPathOf(root, r))).links!;
      return links[0]!;
    });
    return {
      root,
      tree,
      record,
      reached: [tree, record, sub, inner, ...files, ...runs, ...outputs],
      garbage: blob("nothing names this\n"),
    };
  } finally {
    ctx.session.close();
  }
};

const objectPathOf = (root: string, id: string) =>
  `${root}/objects/${id.slice(0, 2)}/${id.slice(2)}`;

const missingOf = (ctx: StoreContext, ids: readonly string[]) =>
  ids.filter((id) => !hasObject(ctx, id));

Deno.test("gc follows every link of a tree and a record larger than 64 MiB, and fsck finds both sound", () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-big-" });
  const t0 = performance.now();
  try {
    const built = build(dir);
    const ctx = openStoreContext(built.root, { create: false });
    try {
      const report = gc(ctx, { graceMs: 0, nowMs: Date.now() + 2 * HOUR });
      const missing = missingOf(ctx, built.reached);
      assert.equal(missing.length, 0, `gc removed ${missing.length} objects the big ones reach`);
      assert.equal(hasObject(ctx, built.garbage), false, "garbage still goes");
      assert.equal(report.objectsRemoved, 1);
      assert.equal(report.missing, 0);
      const checked = fsck(ctx);
      assert.deepEqual(checked.problems, [], "fsck");
      assert.equal(checked.byKind.tree, 2);
      assert.equal(checked.byKind.record, 501);
    } finally {
      ctx.session.close();
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
    console.log(
      `big-objects suite: a ${(TARGET / 2 ** 20).toFixed(0)} MiB tree and record, ` +
        `${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
});

interface WalkFigures {
  readonly peakBeforeKiB: number;
  readonly peakAfterKiB: number;
  readonly removed: number;
  readonly problems: number;
}

Deno.test("gc and fsck read a tree and a record larger than 64 MiB in chunks (peak memory grows by less than 48 MiB, whatever their size)", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-big-mem-" });
  try {
    const built = build(dir);
    const child = spawnFixture<WalkFigures>("big_walk.ts", [built.root]);
    const end = await child.finished;
    assert.equal(end.status.code, 0, `the walk failed:\n${end.stderr}`);
    const figures = end.result!;
    assert.equal(figures.problems, 0, "fsck in the child");
    assert.equal(figures.removed, 1, "gc in the child removed only the garbage");
    const grewMiB = (figures.peakAfterKiB - figures.peakBeforeKiB) / 1024;
    console.log(
      `big-objects suite: gc + fsck peak resident size ${
        (figures.peakBeforeKiB / 1024).toFixed(0)
      } → ${(figures.peakAfterKiB / 1024).toFixed(0)} MiB`,
    );
    assert.ok(grewMiB < 48, `peak memory grew by ${grewMiB.toFixed(1)} MiB`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
