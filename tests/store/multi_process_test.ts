// Multi-process tests: real child Deno processes (tests/store/_fixtures/) write
// to one store at once, are killed mid-write, and race gc; the parent then checks
// the store with fsck and by reading every object back. Randomness is only in
// timing; what is asserted is the same on every run.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { AppendIndex } from "../../store/append_index.ts";
import { fsck } from "../../store/fsck.ts";
import { gc } from "../../store/gc.ts";
import { objectPath } from "../../store/layout.ts";
import { hashObject } from "../../store/object_id.ts";
import { openStoreContext } from "../../store/object_store.ts";
import { identify, putBytes, readVerified, type StoreContext } from "../../store/objects.ts";
import { decodeRecord, encodeRecord } from "../../store/record.ts";
import { readRef, readReflog, updateRef } from "../../store/refs.ts";
import { decodeTree } from "../../store/tree_decoder.ts";
import { listObjects } from "../../store/_walk.ts";
import { chainBlob, mixedSize, payload } from "./_fixtures/payload.ts";
import { spawnScript } from "../_child_process.ts";

const encoder = new TextEncoder();
const HOUR = 3_600_000;

/** A running child process with line-oriented stdin and stdout. */
interface Child {
  readonly process: Deno.ChildProcess;
  /** The next stdout line, or undefined at end of output. */
  readonly nextLine: () => Promise<string | undefined>;
  readonly send: (line: string) => Promise<void>;
  readonly closeStdin: () => Promise<void>;
  /** Waits for the exit; returns the status, the stdout lines not yet read and stderr. */
  readonly finish: () => Promise<{ status: Deno.CommandStatus; lines: string[]; stderr: string }>;
}

// Children not yet finished; a failing test kills them before removing their store.
const running = new Set<Child>();

const spawnFixture = (name: string, args: readonly string[]): Child => {
  const { process, lines, stderr, send, closeStdin } = spawnScript(
    fileURLToPath(new URL(`./_fixtures/${name}`, import.meta.url)),
    args,
  );
  const child: Child = {
    process,
    nextLine: async () => {
      const next = await lines.next();
      return next.done ? undefined : next.value;
    },
    send,
    closeStdin,
    finish: async () => {
      await closeStdin();
      const rest: string[] = [];
      for await (const line of lines) rest.push(line);
      const status = await process.status;
      running.delete(child);
      return { status, lines: rest, stderr: await stderr };
    },
  };
  running.add(child);
  return child;
};

/** Finishes `child`, asserts it exited 0 and returns its last stdout line parsed as JSON. */
const summaryOf = async <A>(child: Child, label: string): Promise<A> => {
  const { status, lines, stderr } = await child.finish();
  assert.equal(status.code, 0, `${label} failed:\n${stderr}`);
  const last = lines[lines.length - 1];
  assert.ok(last !== undefined, `${label} printed no summary:\n${stderr}`);
  return JSON.parse(last) as A;
};

const withTempDir = async (f: (dir: string) => Promise<void>): Promise<void> => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-mp-" });
  try {
    await f(dir);
  } finally {
    for (const child of running) {
      try {
        child.process.kill("SIGKILL");
      } catch {
        // It has exited already.
      }
      await child.finish();
    }
    // Objects are read-only files, but their directories are writable: removal works.
    Deno.removeSync(dir, { recursive: true });
  }
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const filesIn = (dir: string): string[] =>
  [...Deno.readDirSync(dir)].filter((e) => e.isFile).map((e) => e.name);

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

/** Reads every object in the store through the verified read path, by its proven kind. */
const readEveryObject = (ctx: StoreContext): string[] => {
  const { ids, strays } = listObjects(ctx);
  assert.deepEqual(strays, []);
  for (const id of ids) {
    const kind = identify(ctx, id);
    const bytes = readVerified(ctx, id, kind);
    if (kind === "tree") decodeTree(bytes, id);
    if (kind === "record") decodeRecord(bytes, id);
  }
  return ids;
};

Deno.test("processes creating the same new stores at once all succeed", async () => {
  await withTempDir(async (dir) => {
    const count = 300;
    const startAt = Date.now() + 1500; // after every child has started up
    const children = [0, 1, 2].map(() =>
      spawnFixture("open_many.ts", [dir, String(count), String(startAt)])
    );
    const results = await Promise.all(
      children.map((c, i) => summaryOf<{ failures: number; first: string }>(c, `opener ${i}`)),
    );
    for (const { failures, first } of results) assert.equal(failures, 0, first);
    for (let r = 0; r < count; r++) {
      assert.equal(Deno.readTextFileSync(`${dir}/s${r}/format`), "cairn-store 1\n");
    }
  });
});

Deno.test("two processes writing the same and different objects at once: no corruption, no error", async () => {
  await withTempDir(async (dir) => {
    // The children also race to create the store.
    const root = `${dir}/store`;
    const writers = 3;
    const shared = 500;
    const own = 500;
    const refEvery = 5;
    const children = Array.from(
      { length: writers },
      (_, who) =>
        spawnFixture("concurrent_writer.ts", [
          root,
          `w${who}`,
          String(shared),
          String(own),
          String(refEvery),
        ]),
    );
    for (const [who, child] of children.entries()) {
      const line = await child.nextLine();
      if (line !== "ready") {
        const { stderr } = await child.finish();
        assert.fail(`writer ${who} did not start:\n${stderr}`);
      }
    }
    await Promise.all(children.map((c) => c.send("go")));
    type Summary = {
      who: string;
      updates: string[];
      conflicts: number;
      sharedWritten: number[];
      ownWritten: number;
    };
    const summaries = await Promise.all(
      children.map((c, who) => summaryOf<Summary>(c, `writer ${who}`)),
    );

    const ctx = openStoreContext(root, { create: false });
    try {
      const sharedIds = Array.from(
        { length: shared },
        (_, j) => hashObject("blob", payload(`shared-${j}`, mixedSize(j))),
      );
      const ownIds = summaries.map(({ who }) =>
        Array.from(
          { length: own },
          (_, j) => hashObject("blob", payload(`own-${who}-${j}`, mixedSize(j + 13))),
        )
      );

      // One counter record per attempt to move the ref, successful or not.
      const updates = writers * (own / refEvery);
      const attempts = updates + summaries.reduce((n, s) => n + s.conflicts, 0);
      const report = fsck(ctx);
      assert.deepEqual(report.problems, []);
      assert.equal(report.ok, true);
      assert.equal(report.objects, shared + writers * own + attempts);
      assert.deepEqual(report.byKind, {
        blob: shared + writers * own,
        tree: 0,
        record: attempts,
      });
      assert.equal(report.indexEntries, writers * (shared + own));
      assert.equal(report.tmpFiles, 0);
      assert.deepEqual(filesIn(ctx.layout.sessions), []);

      // Every own payload was new to its writer; every shared one was reported
      // written by at least one writer (two whose publishes overlap may both say so:
      // renaming identical bytes over each other is harmless by design).
      for (const s of summaries) assert.equal(s.ownWritten, own);
      assert.deepEqual(
        [...new Set(summaries.flatMap((s) => s.sharedWritten))].sort((a, b) => a - b),
        Array.from({ length: shared }, (_, j) => j),
      );

      for (const [j, id] of sharedIds.entries()) {
        assert.deepEqual(readVerified(ctx, id, "blob"), payload(`shared-${j}`, mixedSize(j)));
      }
      for (const [w, { who }] of summaries.entries()) {
        for (const [j, id] of ownIds[w]!.entries()) {
          assert.deepEqual(
            readVerified(ctx, id, "blob"),
            payload(`own-${who}-${j}`, mixedSize(j + 13)),
          );
        }
      }

      const index = new AppendIndex(ctx.layout, "payloads");
      for (const [j, id] of sharedIds.entries()) {
        assert.deepEqual(index.getAll(`shared-${j}`), Array(writers).fill(id));
      }
      for (const [w, { who }] of summaries.entries()) {
        for (const [j, id] of ownIds[w]!.entries()) {
          assert.deepEqual(index.getAll(`own-${who}-${j}`), [id]);
        }
      }
      index.close();

      // Compare-and-swap: one reflog line per successful update, forming one
      // chain in which every counter record was computed from the very record it
      // replaced — no increment was lost, none was based on a stale read.
      const reflog = readReflog(ctx.layout, "shared/head");
      assert.equal(reflog.length, updates);
      assert.deepEqual(
        reflog.map((e) => e.message).sort(),
        summaries.flatMap((s) => s.updates).sort(),
      );
      let previous: string | null = null;
      for (const [i, entry] of reflog.entries()) {
        assert.equal(entry.old, previous);
        const [who, j] = entry.message.split(":");
        const own = ownIds[summaries.findIndex((s) => s.who === who)]![Number(j)]!;
        const counter = decodeRecord(readVerified(ctx, entry.new!, "record"), entry.new!);
        assert.deepEqual(counter, {
          type: "counter",
          n: i + 1,
          by: entry.message,
          links: previous === null ? [own] : [previous, own],
        });
        previous = entry.new;
      }
      assert.equal(readRef(ctx.layout, "shared/head"), previous);
    } finally {
      ctx.session.close();
    }
  });
});

Deno.test("a process killed with SIGKILL in the middle of large writes leaves no visible partial object and fsck passes", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const ctx = openStoreContext(root);
    try {
      // Two writers at a time (startup dominates, and a kill must not hurt the
      // other writer either), each killed after its own random delay.
      const batches = 5;
      const perBatch = 2;
      const kills = batches * perBatch;
      for (let b = 0; b < batches; b++) {
        await Promise.all(Array.from({ length: perBatch }, async (_, i) => {
          const k = b * perBatch + i;
          const scratch = `${dir}/scratch-${k}`;
          Deno.mkdirSync(scratch);
          const child = spawnFixture("big_writer.ts", [root, scratch, `k${k}`]);
          const line = await child.nextLine();
          if (line !== "ready") {
            const { stderr } = await child.finish();
            assert.fail(`writer ${k} did not finish its first loop:\n${stderr}`);
          }
          await sleep(20 + Math.random() * 380);
          child.process.kill("SIGKILL");
          const { status, stderr } = await child.finish();
          assert.equal(status.signal, "SIGKILL", `writer ${k} ended before the kill:\n${stderr}`);
          Deno.removeSync(scratch, { recursive: true });
        }));
      }

      const report = fsck(ctx);
      assert.deepEqual(report.problems, []);
      assert.equal(report.ok, true);
      // Every writer finished one loop: 2 blobs, 8 files, 2 trees and a record.
      assert.ok(report.objects >= kills * 13, `only ${report.objects} objects`);
      assert.equal(report.refs, kills);
      assert.equal(readEveryObject(ctx).length, report.objects);
      // Each killed writer left its session file behind; gc clears those.
      assert.equal(filesIn(ctx.layout.sessions).length, kills);

      // Leftovers in tmp/ are allowed, but gc removes them once they are old.
      const later = gc(ctx, { nowMs: Date.now() + 2 * HOUR });
      assert.equal(later.tmpFilesRemoved, report.tmpFiles);
      assert.equal(later.deadSessionsRemoved, kills);
      assert.equal(later.missing, 0);
      assert.deepEqual(filesIn(ctx.layout.tmp), []);
      assert.deepEqual(filesIn(ctx.layout.sessions), []);

      const after = fsck(ctx);
      assert.deepEqual(after.problems, []);
      assert.equal(after.tmpFiles, 0);
      assert.equal(after.refs, kills);
      assert.equal(after.objects, later.reachable);
      assert.equal(after.objects, report.objects - later.objectsRemoved);
    } finally {
      ctx.session.close();
    }
  });
});

Deno.test("gc during a running writer loses nothing", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const iterations = 250;
    const refEvery = 40;
    const reviveAt = 101;
    const lastRef = Math.floor(iterations / refEvery) * refEvery - 1; // 239
    const old = new Date(Date.now() - 2 * HOUR);

    // Old garbage for gc to sweep, and blob `reviveAt` of the writer, old too and
    // kept only by ref "hold" until the writer has found it present.
    const setup = openStoreContext(root);
    const age = (id: string) => Deno.utimeSync(objectPath(setup.layout, id), old, old);
    const garbage = Array.from({ length: 30 }, (_, g) => {
      const { id } = putBytes(setup, "blob", payload(`garbage-${g}`, 2048 + g));
      age(id);
      return id;
    });
    const revived = putBytes(setup, "blob", chainBlob(reviveAt)).id;
    const hold = putBytes(setup, "record", encodeRecord({ type: "hold", links: [revived] })).id;
    age(revived);
    age(hold);
    updateRef(setup.layout, "hold", hold, { expected: null, message: "hold" });
    setup.session.close(); // a live session of this process would protect everything

    const gcCountFile = `${dir}/gc-count`;
    const child = spawnFixture("chain_writer.ts", [
      root,
      String(iterations),
      String(refEvery),
      gcCountFile,
      String(reviveAt),
      hold,
    ]);
    const started = await child.nextLine();
    if (started !== "started") {
      const { stderr } = await child.finish();
      assert.fail(`writer did not start:\n${stderr}`);
    }
    // gc runs until the writer has printed its summary: the writer then waits for
    // its stdin to close before it ends its session (which, once ended, no longer
    // protects the records written after the last ref update).
    let done = false;
    const summaryLine = child.nextLine().finally(() => (done = true));
    const ctx = openStoreContext(root);
    try {
      let runs = 0;
      while (!done) {
        const run = gc(ctx, { graceMs: 0, reflogExpiryMs: 0 });
        assert.equal(run.missing, 0, "a root or link named a missing object");
        runs++;
        Deno.writeTextFileSync(gcCountFile, String(runs));
        // Writers wait for gc's exclusive lock: leave them gaps to make progress in.
        await sleep(5 + Math.random() * 20);
      }
      const line = await summaryLine;
      type Summary = {
        blobs: string[];
        records: string[];
        refHead: string;
        revivedWritten: boolean;
        checkpoints: number;
      };
      const { status, stderr } = await child.finish();
      assert.equal(status.code, 0, `writer failed:\n${stderr}`);
      assert.ok(line !== undefined, `writer printed no summary:\n${stderr}`);
      const summary = JSON.parse(line) as Summary;
      const checkpoints = Math.ceil((iterations - 10) / 20);
      assert.equal(summary.checkpoints, checkpoints);
      assert.ok(runs >= 2 * checkpoints, `only ${runs} gc runs`);
      assert.equal(summary.revivedWritten, false, "the held blob should have been found present");
      assert.equal(summary.blobs[reviveAt], revived);
      assert.equal(summary.refHead, summary.records[lastRef]);

      // Everything the writer wrote survived the gc runs, and nothing else did.
      for (let i = 0; i < iterations; i++) {
        const blob = summary.blobs[i]!;
        assert.deepEqual(readVerified(ctx, blob, "blob"), chainBlob(i));
        const record = decodeRecord(readVerified(ctx, summary.records[i]!, "record"), "");
        const links = i === 0 ? [blob] : [blob, summary.records[i - 1]!];
        assert.deepEqual(record, { type: "run", i, links });
      }
      const index = new AppendIndex(ctx.layout, "runs");
      for (let i = 0; i < iterations; i++) {
        assert.equal(index.get(`run-${i}`), summary.records[i], `index entry run-${i}`);
      }
      index.close();
      assert.equal(readRef(ctx.layout, "scenarios/x"), summary.records[lastRef]);
      assert.equal(readRef(ctx.layout, "hold"), null);
      const writerIds = new Set([...summary.blobs, ...summary.records]);
      assert.deepEqual(new Set(listObjects(ctx).ids), writerIds);
      for (const id of [...garbage, hold]) assert.ok(!writerIds.has(id));
      const report = fsck(ctx);
      assert.deepEqual(report.problems, []);
      assert.equal(report.objects, 2 * iterations);

      // With the writer gone, gc keeps what the ref reaches and sweeps the rest:
      // the records written after the last ref update, their blobs and index entries.
      const final = gc(ctx, { graceMs: 0, reflogExpiryMs: 0, nowMs: Date.now() + 60_000 });
      const tail = iterations - lastRef - 1;
      assert.equal(final.objectsRemoved, 2 * tail);
      assert.equal(final.indexEntriesRemoved, tail);
      assert.equal(final.reachable, 2 * (lastRef + 1));
      assert.equal(final.deadSessionsRemoved, 0);
      assert.deepEqual(
        new Set(listObjects(ctx).ids),
        new Set([...summary.blobs.slice(0, lastRef + 1), ...summary.records.slice(0, lastRef + 1)]),
      );
      const pruned = new AppendIndex(ctx.layout, "runs");
      for (let i = 0; i < iterations; i++) {
        assert.equal(pruned.get(`run-${i}`), i <= lastRef ? summary.records[i] : undefined);
      }
      pruned.close();
      const after = fsck(ctx);
      assert.deepEqual(after.problems, []);
      assert.equal(after.objects, 2 * (lastRef + 1));
    } finally {
      ctx.session.close();
    }
  });
});

Deno.test("a reader-only process sees what a running writer process wrote", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const count = 60;
    const writer = spawnFixture("simple_writer.ts", [root, String(count)]);
    const line = await writer.nextLine();
    if (line === undefined) {
      const { stderr } = await writer.finish();
      assert.fail(`writer failed:\n${stderr}`);
    }
    const written = JSON.parse(line) as { blobs: string[]; record: string };
    const expected = Array.from({ length: count }, (_, j) => payload(`simple-${j}`, mixedSize(j)));
    assert.deepEqual(written.blobs, expected.map((p) => hashObject("blob", p)));
    const sessions = `${root}/tmp/sessions`;
    assert.equal(filesIn(sessions).length, 1, "the writer's session is open");

    const missing = hashObject("blob", encoder.encode("never written"));
    const reader = spawnFixture("reader.ts", [root, String(count), missing]);
    const seen = await summaryOf<{
      blobs: { id: string; size: number; sha256: string }[];
      ref: string;
      links: string[];
      missingRead: string;
      fsckOk: boolean;
      objects: number;
    }>(reader, "reader");
    assert.deepEqual(
      seen.blobs,
      expected.map((p, j) => ({ id: written.blobs[j], size: p.length, sha256: sha256(p) })),
    );
    assert.equal(seen.ref, written.record);
    assert.deepEqual(seen.links, written.blobs);
    assert.equal(seen.missingRead, "ObjectNotFound");
    assert.equal(seen.fsckOk, true);
    assert.equal(seen.objects, count + 1);
    // Reading left no trace: no session of its own, no temp files.
    assert.equal(filesIn(sessions).length, 1);
    assert.deepEqual(filesIn(`${root}/tmp`), []);

    await writer.closeStdin();
    const { status, stderr } = await writer.finish();
    assert.equal(status.code, 0, stderr);
    assert.deepEqual(filesIn(sessions), []);
  });
});
