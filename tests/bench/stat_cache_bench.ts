// Section "stat cache": recognising an unchanged big file by its metadata, against
// re-hashing it.
import { Effect } from "effect";
import { AppendIndex, ObjectStore, openStoreContext, RACY_WINDOW_MS } from "../../store/mod.ts";
import { hashFile } from "../../store/objects.ts";
import { statCachedFileId } from "../../store/stat_cache.ts";
import type { Bench, Row, Section, SectionResult } from "./_section.ts";
import { alternate } from "./_alternate.ts";
import { bestMs, formatCount, formatMicros, formatRatio } from "./_measure.ts";

const CHECKS = 10_000;
const BATCH = 1000;
const SPEEDUP_TARGET = 100;

// Re-checks the file through `index` and through the Effect service, batch by batch.
const measureChecks = (index: AppendIndex, path: string) =>
  Effect.gen(function* () {
    const store = yield* ObjectStore;
    let syncHashed = 0;
    // The service keeps its own index: its first call loads it (untimed).
    let effectHashed = (yield* store.fileId(path)).hashed ? 1 : 0;
    const times = yield* alternate(CHECKS, BATCH, (from, to) => {
      for (let i = from; i < to; i++) {
        if (statCachedFileId(index, path, Date.now).hashed) syncHashed++;
      }
    }, (from, to) =>
      Effect.gen(function* () {
        for (let i = from; i < to; i++) if ((yield* store.fileId(path)).hashed) effectHashed++;
      }));
    return { ...times, syncHashed, effectHashed };
  });

const run = async (bench: Bench): Promise<SectionResult> => {
  const notes: string[] = [];
  const path = bench.bigFile();
  const root = `${bench.scratch}/stat-cache`;
  const ctx = openStoreContext(root);
  const index = new AppendIndex(ctx.layout, "stat");

  // The stat cache distrusts an entry recorded within RACY_WINDOW_MS of the file's
  // last change (mtime or ctime): such a file could still change without its
  // timestamps moving. Backdating mtime with Deno.utimeSync does not help, because
  // that itself sets ctime to now and ctime cannot be set. So wait until the file
  // is old enough — usually no wait at all, as the file was written sections ago.
  const info = Deno.statSync(path);
  const changed = Math.max(info.mtime?.getTime() ?? 0, info.ctime?.getTime() ?? 0);
  const wait = changed + RACY_WINDOW_MS + 100 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));

  const first = statCachedFileId(index, path, Date.now);
  if (!first.hashed) notes.push("stat cache: the first call did not hash the file");
  const t = await Effect.runPromise(
    measureChecks(index, path).pipe(Effect.provide(ObjectStore.layer({ root }))),
  );
  const rehashMs = bestMs(3, () => hashFile(path));
  index.close();
  ctx.session.close();
  if (t.syncHashed > 0) notes.push(`stat cache: ${t.syncHashed} of ${CHECKS} re-checks re-hashed`);
  if (t.effectHashed > 0) notes.push(`stat cache: Effect re-hashed ${t.effectHashed} times`);

  const checkUs = (t.syncMs * 1000) / CHECKS;
  const effectUs = (t.effectMs * 1000) / CHECKS;
  const rehash = { peer: "re-hash (hashFile)", peerFigure: formatMicros(rehashMs * 1000) };
  const rows: Row[] = [
    {
      measure: "re-check unchanged file",
      cairn: formatMicros(checkUs),
      ...rehash,
      ratio: (rehashMs * 1000) / checkUs,
      target: `≥ ${formatRatio(SPEEDUP_TARGET)} re-hash`,
      pass: (rehashMs * 1000) / checkUs >= SPEEDUP_TARGET,
      note: `${formatCount(CHECKS)} re-checks`,
    },
    {
      measure: "re-check unchanged file (Effect)",
      cairn: formatMicros(effectUs),
      ...rehash,
      ratio: (rehashMs * 1000) / effectUs,
      target: `≥ ${formatRatio(SPEEDUP_TARGET)} re-hash`,
      pass: (rehashMs * 1000) / effectUs >= SPEEDUP_TARGET,
      note: `Effect adds ${formatMicros(effectUs - checkUs)}`,
    },
  ];
  return { title: `stat cache: the same ${bench.mib} MiB file, unchanged`, rows, notes };
};

/** Section "stat cache": re-checking an unchanged file against re-hashing it. */
export const statCacheSection: Section = { name: "stat cache", run };
