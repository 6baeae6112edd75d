// Section "index": appending cache-key entries, then looking them up from a fresh
// AppendIndex (as a new process would), with and without the one-off load.
import { Effect } from "effect";
import { AppendIndex, ObjectStore, openStoreContext } from "../../store/mod.ts";
import type { Bench, Row, Section, SectionResult } from "./_section.ts";
import { alternate } from "./_alternate.ts";
import { formatCount, formatMicros, randomHex, shuffle, timeMs } from "./_measure.ts";

const ENTRIES = 100_000;
const BATCH = 5000;
const LOOKUP_TARGET_US = 10;

// Loads the log into a fresh AppendIndex and into the Effect service's own index,
// then looks every key up through both, batch by batch.
const measureLookups = (
  reader: AppendIndex,
  order: readonly string[],
  expected: ReadonlyMap<string, string>,
) =>
  Effect.gen(function* () {
    const index = (yield* ObjectStore).index("cache");
    let wrong = 0;
    let found = 0;
    // A fresh index knows nothing yet: its first get reads and parses the whole log.
    const syncLoadMs = timeMs(() => {
      if (reader.get(order[0]!) !== expected.get(order[0]!)) wrong++;
    });
    let start = performance.now();
    if ((yield* index.get(order[0]!)) !== undefined) found++;
    const effectLoadMs = performance.now() - start;
    start = performance.now();
    const times = yield* alternate(order.length - 1, BATCH, (from, to) => {
      for (let i = from + 1; i < to + 1; i++) {
        if (reader.get(order[i]!) !== expected.get(order[i]!)) wrong++;
      }
    }, (from, to) =>
      Effect.gen(function* () {
        for (let i = from + 1; i < to + 1; i++) {
          if ((yield* index.get(order[i]!)) !== undefined) found++;
        }
      }));
    return { syncLoadMs, effectLoadMs, ...times, wrong, found };
  });

const run = async (bench: Bench): Promise<SectionResult> => {
  const notes: string[] = [];
  const root = `${bench.scratch}/index`;
  const ctx = openStoreContext(root);
  const keys = randomHex(ENTRIES, 64);
  const values = randomHex(ENTRIES, 64);
  const writer = new AppendIndex(ctx.layout, "cache");
  const appendMs = timeMs(() => {
    for (let i = 0; i < ENTRIES; i++) writer.append(keys[i]!, values[i]!);
  });
  writer.close();

  const expected = new Map(keys.map((key, i) => [key, values[i]!]));
  const order = shuffle([...keys]);
  const reader = new AppendIndex(ctx.layout, "cache");
  const t = await Effect.runPromise(
    measureLookups(reader, order, expected).pipe(Effect.provide(ObjectStore.layer({ root }))),
  );
  ctx.session.close();
  if (t.wrong > 0) notes.push(`index: ${t.wrong} of ${ENTRIES} lookups returned a wrong value`);
  if (t.found !== ENTRIES) notes.push(`index: Effect found ${t.found} of ${ENTRIES} keys`);

  const withLoadUs = ((t.syncLoadMs + t.syncMs) * 1000) / ENTRIES;
  const withoutLoadUs = (t.syncMs * 1000) / (ENTRIES - 1);
  const effectUs = (t.effectMs * 1000) / (ENTRIES - 1);
  const target = `≤ ${LOOKUP_TARGET_US} µs`;
  const rows: Row[] = [
    { measure: "append / entry", cairn: formatMicros((appendMs * 1000) / ENTRIES) },
    {
      measure: "lookup / key, incl. load",
      cairn: formatMicros(withLoadUs),
      target,
      pass: withLoadUs <= LOOKUP_TARGET_US,
      note: `load ${formatMicros(t.syncLoadMs * 1000)}`,
    },
    {
      measure: "lookup / key, excl. load",
      cairn: formatMicros(withoutLoadUs),
      target,
      pass: withoutLoadUs <= LOOKUP_TARGET_US,
    },
    {
      measure: "lookup / key, excl. load (Effect)",
      cairn: formatMicros(effectUs),
      target,
      pass: effectUs <= LOOKUP_TARGET_US,
      note: `Effect adds ${formatMicros(effectUs - withoutLoadUs)}; load ${
        formatMicros(t.effectLoadMs * 1000)
      }`,
    },
  ];
  return {
    title: `index: ${formatCount(ENTRIES)} cache entries (64-hex key → 64-hex value)`,
    rows,
    notes,
  };
};

/** Section "index": append-only cache index, append and lookup costs. */
export const indexSection: Section = { name: "index", run };
