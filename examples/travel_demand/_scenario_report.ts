// What a scenario record says about reuse, as lines of the demo's report.
import type { ScenarioEntry } from "../../lib/query/mod.ts";
import { ranges, seconds } from "./_format.ts";

/** A scenario run's hits and misses, and its wall time, in a sentence. */
export const hitLine = (record: ScenarioEntry, ms: number) => {
  const hits = record.invocations.filter((i) => i.hit).length;
  const total = record.invocations.length;
  return hits === total
    ? `all ${total} step invocations were cache hits — nothing ran (wall time ${seconds(ms)})`
    : `${total - hits} of ${total} step invocations ran, ${hits} were cache hits (wall time ${
      seconds(ms)
    })`;
};

/** Per step: the iterations that were cache hits and those that ran. */
export const reuseTable = (record: ScenarioEntry) => {
  const steps = new Map<string, { hit: number[]; ran: number[]; once?: boolean }>();
  for (const inv of record.invocations) {
    const s = steps.get(inv.step) ?? { hit: [], ran: [] };
    if (inv.iteration === null) s.once = inv.hit;
    else (inv.hit ? s.hit : s.ran).push(inv.iteration);
    steps.set(inv.step, s);
  }
  return [...steps].map(([step, s]) =>
    s.once === undefined
      ? [step, ranges(s.hit), ranges(s.ran)]
      : [step, s.once ? "(once) reused" : "—", s.once ? "—" : "(once) ran"]
  );
};

/** The reuse pattern in a sentence, as observed (a second demo run is all hits). */
export const reuseVerdict = (record: ScenarioEntry, baseline: number, extended: number) => {
  const looped = record.invocations.filter((i) => i.iteration !== null);
  if (record.invocations.every((i) => i.hit)) {
    return "Every step of every iteration was already in the store: nothing ran.";
  }
  const reused = looped.every((i) => i.hit === i.iteration! < baseline);
  return reused
    ? `Iterations 0–${baseline - 1} were reused for every step; only ${baseline}–${
      extended - 1
    } ran (and summaries, which reads all ${extended}).`
    : `Some of iterations 0–${baseline - 1} ran again: see the table.`;
};
