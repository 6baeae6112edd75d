// Section "objects": write, existence lookup and gc sweep of many small objects,
// against git on the same payloads (loose objects; neither side fsyncs by default).
//
// Order matters on ext4 without a journal (as on the VM this was written on):
// creating a file soon after many deletions is slow, because the inode allocator
// skips recently freed inodes one by one. So every timed create (cairn's and git's)
// runs before any timed delete, and cairn's two APIs alternate batch by batch so
// that both meet the same file-system state. On that same set-up (mounted with
// `discard`), each unlink of a file with a data block waits for a TRIM of the
// virtual disk, so sweep figures follow the host's I/O load; git prune pays the
// same per loose object. `settle()` (sync) before each timed phase keeps one
// phase's writeback out of the next one's time.
import { Effect } from "effect";
import {
  ObjectStore,
  type ObjectStoreApi,
  openStoreContext,
  type StoreContext,
} from "../../store/mod.ts";
import { hasObject, putBytes } from "../../store/objects.ts";
import { gc } from "../../store/gc.ts";
import type { Bench, Row, Section, SectionResult } from "./_section.ts";
import { alternate, share } from "./_alternate.ts";
import {
  formatCount,
  formatMicros,
  randomBytes,
  randomHex,
  runPeer,
  settle,
  shuffle,
  timeMs,
} from "./_measure.ts";

const WRITE_TARGET_US = 100;
const LOOKUP_TARGET_US = 10;
const BATCH = 1000;
const WARM_UP = 2000;

// Distinct random payloads of 100–200 bytes (collisions are astronomically unlikely).
const makePayloads = (n: number): Uint8Array[] => {
  const pool = randomBytes(n * 200);
  const lengths = randomBytes(n);
  return Array.from(
    { length: n },
    (_, i) => pool.subarray(i * 200, i * 200 + 100 + lengths[i]! % 101),
  );
};

interface CairnTimes {
  readonly probes: readonly string[];
  /** Per-object microseconds. */
  readonly syncWriteUs: number;
  readonly effectWriteUs: number;
  readonly syncLookupUs: number;
  readonly effectLookupUs: number;
  readonly syncHits: number;
  readonly effectHits: number;
}

// Writes the payloads into one store, batches alternating between the synchronous
// internals (`ctx`) and the Effect service opened on the same root: both then pay
// for the same directories and the same inode allocator, and each put really
// writes. Then every id (and `absent` made-up ones) is looked up through both.
const measureCairn = (ctx: StoreContext, payloads: readonly Uint8Array[], absent: number) =>
  Effect.gen(function* () {
    const store: ObjectStoreApi = yield* ObjectStore;
    const ids: string[] = new Array(payloads.length);
    const writes = yield* share(payloads.length, BATCH, (from, to) => {
      for (let i = from; i < to; i++) ids[i] = putBytes(ctx, "blob", payloads[i]!).id;
    }, (from, to) =>
      Effect.gen(function* () {
        for (let i = from; i < to; i++) ids[i] = (yield* store.putBlob(payloads[i]!)).id;
      }));
    const probes = shuffle([...ids, ...randomHex(absent, 64)]);
    let syncHits = 0;
    let effectHits = 0;
    const lookups = yield* alternate(probes.length, BATCH, (from, to) => {
      for (let i = from; i < to; i++) if (hasObject(ctx, probes[i]!)) syncHits++;
    }, (from, to) =>
      Effect.gen(function* () {
        for (let i = from; i < to; i++) if (yield* store.has(probes[i]!)) effectHits++;
      }));
    return {
      probes,
      syncWriteUs: (writes.syncMs * 1000) / writes.syncCount,
      effectWriteUs: (writes.effectMs * 1000) / writes.effectCount,
      syncLookupUs: (lookups.syncMs * 1000) / probes.length,
      effectLookupUs: (lookups.effectMs * 1000) / probes.length,
      syncHits,
      effectHits,
    } satisfies CairnTimes;
  }).pipe(Effect.provide(ObjectStore.layer({ root: ctx.layout.root })));

// Brings both code paths to steady state (JIT, first-use costs) in a throwaway store.
const warmUp = async (scratch: string): Promise<void> => {
  const ctx = openStoreContext(`${scratch}/objects-warm-up`);
  try {
    await Effect.runPromise(measureCairn(ctx, makePayloads(WARM_UP), WARM_UP / 10));
  } finally {
    ctx.session.close();
  }
};

interface GitTimes {
  readonly writeMs: number;
  readonly lookupMs: number;
}

const gitWriteAndLookup = async (
  repo: string,
  paths: readonly string[],
  absent: number,
  notes: string[],
): Promise<GitTimes> => {
  await runPeer("git", ["init", "-q", repo]);
  settle();
  const write = await runPeer("git", ["hash-object", "-w", "--stdin-paths"], {
    cwd: repo,
    stdin: paths.join("\n") + "\n",
  });
  const shas = write.stdout.trim().split("\n");
  if (shas.length !== paths.length) {
    notes.push(`git hash-object printed ${shas.length} ids for ${paths.length} files`);
  }
  const probes = shuffle([...shas, ...randomHex(absent, 40)]);
  const lookup = await runPeer("git", ["cat-file", "--batch-check"], {
    cwd: repo,
    stdin: probes.join("\n") + "\n",
  });
  const missing = lookup.stdout.split("\n").filter((line) => line.endsWith(" missing")).length;
  if (missing !== absent) notes.push(`git cat-file reported ${missing} of ${absent} absent ids`);
  return { writeMs: write.ms, lookupMs: lookup.ms };
};

const run = async (bench: Bench): Promise<SectionResult> => {
  const { n, scratch } = bench;
  const notes: string[] = [];
  const absent = Math.round(n / 10);
  const payloads = makePayloads(n);
  const paths = payloads.map((_, i) => `${scratch}/objects-files/${i}`);
  if (bench.peers.git) {
    Deno.mkdirSync(`${scratch}/objects-files`, { recursive: true });
    payloads.forEach((payload, i) => Deno.writeFileSync(paths[i]!, payload));
  } else {
    notes.push("git not found on PATH: the git peer is skipped");
  }

  await warmUp(scratch);
  settle();
  const ctx = openStoreContext(`${scratch}/objects-cairn`);
  const cairn = await Effect.runPromise(measureCairn(ctx, payloads, absent));
  if (cairn.syncHits !== n) notes.push(`hasObject found ${cairn.syncHits} of ${n} present ids`);
  if (cairn.effectHits !== n) notes.push(`store.has found ${cairn.effectHits} of ${n} present ids`);
  const repo = `${scratch}/objects-git`;
  const git = bench.peers.git ? await gitWriteAndLookup(repo, paths, absent, notes) : undefined;

  // gc never sweeps what a live writer session may still need; end ours first (the
  // Effect service ended its own), as a finished pipeline would, so that every
  // object is unreachable garbage.
  ctx.session.close();
  settle();
  let removed = 0;
  const sweepMs = timeMs(() => {
    removed = gc(ctx, { graceMs: 0 }).objectsRemoved;
  });
  ctx.session.close();
  if (removed !== n) notes.push(`gc removed ${removed} of ${n} unreachable objects`);
  let gitSweepMs: number | undefined;
  if (git) {
    settle();
    gitSweepMs = (await runPeer("git", ["prune", "--expire=now"], { cwd: repo })).ms;
    const left = (await runPeer("git", ["count-objects"], { cwd: repo })).stdout.trim();
    if (!left.startsWith("0 objects")) notes.push(`git prune left "${left}"`);
  }

  const us = (ms: number, count: number): number => (ms * 1000) / count;
  const probes = cairn.probes.length;
  const vsGit = (name: string, ms: number | undefined, count: number, cairnUs: number) =>
    ms === undefined
      ? {}
      : { peer: name, peerFigure: formatMicros(us(ms, count)), ratio: us(ms, count) / cairnUs };
  const writeRow = (measure: string, cairnUs: number, note?: string): Row => ({
    measure,
    cairn: formatMicros(cairnUs),
    ...vsGit("git hash-object -w", git?.writeMs, n, cairnUs),
    target: `≤ ${WRITE_TARGET_US} µs`,
    pass: cairnUs <= WRITE_TARGET_US,
    ...(note ? { note } : {}),
  });
  const lookupRow = (measure: string, cairnUs: number, note: string): Row => ({
    measure,
    cairn: formatMicros(cairnUs),
    ...vsGit("git cat-file --batch-check", git?.lookupMs, probes, cairnUs),
    target: `≤ ${LOOKUP_TARGET_US} µs`,
    pass: cairnUs <= LOOKUP_TARGET_US,
    note,
  });
  const { syncWriteUs: syncWrite, effectWriteUs: effectWrite } = cairn;
  const { syncLookupUs: syncLookup, effectLookupUs: effectLookup } = cairn;
  const sweep = us(sweepMs, n);
  const rows: Row[] = [
    writeRow("write / object (putBytes)", syncWrite, "half the objects each, batches alternate"),
    writeRow(
      "write / object (Effect putBlob)",
      effectWrite,
      `Effect adds ${formatMicros(effectWrite - syncWrite)}`,
    ),
    lookupRow("lookup / id (hasObject)", syncLookup, `${formatCount(probes)} ids, 10% absent`),
    lookupRow(
      "lookup / id (Effect has)",
      effectLookup,
      `Effect adds ${formatMicros(effectLookup - syncLookup)}`,
    ),
    {
      measure: "gc sweep / object (graceMs 0)",
      cairn: formatMicros(sweep),
      ...vsGit("git prune --expire=now", gitSweepMs, n, sweep),
      target: "≤ git prune",
      ...(gitSweepMs === undefined ? {} : { pass: sweep <= us(gitSweepMs, n) }),
      note: `whole sweep ${formatMicros(sweepMs * 1000)}`,
    },
  ];
  return {
    title: `objects: ${formatCount(n)} distinct random payloads of 100–200 B`,
    rows,
    notes: notes.map((note) => `objects: ${note}`),
  };
};

/** Section "objects": small-object write, lookup and gc sweep, cairn against git. */
export const objectsSection: Section = { name: "objects", run };
