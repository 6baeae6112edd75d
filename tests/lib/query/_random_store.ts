// Random stores for comparing the query index with the log view: runs of a few
// steps over a random DAG of blobs (some bytes made by several runs, some inputs
// external, some optional inputs absent), their run records and lineage entries as
// the miss path writes them, duplicate entries as a reindex leaves them, torn lines,
// and scenario histories of hits and misses on a few refs.
import { Effect } from "effect";
import type { ObjectStoreApi } from "../../../store/object_store.ts";
import { encodeRunRecord } from "../../../lib/model/run_record.ts";
import {
  LINEAGE_INDEX,
  lineageEntries,
  summaryOfRecord,
} from "../../../lib/model/lineage_entry.ts";
import { encodeScenarioRecord } from "../../../lib/model/scenario_record.ts";
import type { ArtifactRef } from "../../../lib/model/artifact.ts";

/** A seeded generator (mulberry32). */
export const random = (seed: number) => {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <A>(items: readonly A[]): A => items[Math.floor(next() * items.length)]!,
  };
};

type Rng = ReturnType<typeof random>;

const STEPS = ["load", "mix", "grow", "report"];
const encoder = new TextEncoder();

/** What a generated store holds, for the comparisons. */
export interface Generated {
  readonly artifacts: string[];
  readonly runs: { id: string; step: string; iteration: number | null }[];
  readonly scenarios: string[];
  /** Summaries hidden by a damaged entry, to write again on the next call. */
  hidden?: [string, string][];
}

/** Adds `count` runs and a few scenario records to the store; returns everything made so far. */
export const grow = (
  store: ObjectStoreApi,
  rng: Rng,
  count: number,
  made: Generated = { artifacts: [], runs: [], scenarios: [] },
) =>
  Effect.gen(function* () {
    const lineage = store.index(LINEAGE_INDEX);
    const producers = new Map<string, string>();
    const fresh: string[] = [];
    for (let n = 0; n < count; n++) {
      const step = rng.pick(STEPS);
      const iteration = rng.next() < 0.2 ? null : rng.int(4);
      const inputs: Record<string, (ArtifactRef & { producer: string | null }) | null> = {};
      for (let k = rng.int(3); k > 0; k--) {
        const name = rng.pick(["x", "y", "zones", "prev"]);
        if (rng.next() < 0.15) {
          inputs[name] = null;
          continue;
        }
        let id: string;
        if (made.artifacts.length === 0 || rng.next() < 0.2) {
          id = (yield* store.putBlob(encoder.encode(`external ${rng.int(6)}`))).id;
        } else id = rng.pick(made.artifacts);
        inputs[name] = {
          id,
          kind: "blob",
          codec: "json",
          size: 3,
          producer: producers.get(id) ?? null,
        };
      }
      const outputs: Record<string, ArtifactRef> = {};
      // Names like "10" and "2" too: an object lists them first, by value, whatever
      // the order of the record's JSON (walks over outputs must keep that order).
      const names = rng.next() < 0.3
        ? ["y", "summary"]
        : rng.next() < 0.15
        ? ["y", "10", "2"]
        : [rng.pick(["y", "out"])];
      for (const name of names) {
        // A small value space: the same bytes are made by several runs now and then.
        const id = (yield* store.putBlob(encoder.encode(`${name} ${rng.int(40)}`))).id;
        outputs[name] = { id, kind: "blob", codec: "json", size: 3 + rng.int(5) };
      }
      const startedAt = new Date(Date.UTC(2025, 0, 1) + rng.int(5000) * 1000).toISOString();
      const record = encodeRunRecord({
        type: "run",
        step,
        key: `key-${rng.int(1e9)}`,
        components: {
          format: "f",
          step,
          signature: null,
          code: { mode: "version", identity: `v${rng.int(2)}` },
          config: { rate: rng.int(3) },
          inputs: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v?.id ?? null])),
          iteration,
          env: {},
        },
        inputs,
        outputs,
        iteration,
        scenario: rng.pick(["base", "policy", null]),
        startedAt,
        endedAt: startedAt,
        durationMs: rng.int(1000) / 10,
        host: "h",
        status: "ok",
        links: [
          ...new Set([
            ...Object.values(inputs).flatMap((
              i,
            ) => (i ? [i.id, ...(i.producer ? [i.producer] : [])] : [])),
            ...Object.values(outputs).map((o) => o.id),
          ]),
        ].sort(),
      });
      const run = (yield* store.putRecord(record)).id;
      // Now and then a summary as cairn wrote it before summaries kept the key and host.
      const summary = summaryOfRecord(record as never);
      const { key: _key, host: _host, ...older } = summary;
      const entries = lineageEntries(run, rng.next() < 0.2 ? older : summary);
      // Now and then the run's consumed entries before its summary (a log read in
      // another order than the miss path writes): the index first knows the
      // consumer by its id alone.
      const consumed = ([key]: [string, string]) => key.startsWith("consumed:");
      yield* lineage.appendMany(
        rng.next() < 0.1
          ? [...entries.filter(consumed), ...entries.filter((e) => !consumed(e))]
          : entries,
      );
      // As a reindex after lost entries leaves them: some entries twice.
      if (rng.next() < 0.1) yield* lineage.appendMany(entries.slice(0, 2));
      for (const o of Object.values(outputs)) {
        producers.set(o.id, run);
        if (!made.artifacts.includes(o.id)) made.artifacts.push(o.id);
      }
      for (const i of Object.values(inputs)) {
        if (i && !made.artifacts.includes(i.id)) made.artifacts.push(i.id);
      }
      made.runs.push({ id: run, step, iteration });
      fresh.push(run);
    }
    // A run's summary damaged (a value that does not decode hides the run), and now
    // and then written again by a later call (the run comes back, at a new place in
    // the log): a consumer the index knew by the number of its summary, then not.
    for (const back of made.hidden?.splice(0) ?? []) yield* lineage.appendMany([back]);
    if (fresh.length > 0 && rng.next() < 0.3) {
      const run = rng.pick(fresh);
      const entry = lineageEntries(
        run,
        summaryOfRecord((yield* store.readRecord(run)) as never),
      )[0]!;
      yield* lineage.appendMany([[`run:${run}`, `${run} {"not":"a summary"}`]]);
      if (rng.next() < 0.5) (made.hidden ??= []).push(entry);
    }
    // A torn line, as a killed writer leaves it: skipped by every reader.
    if (rng.next() < 0.5) {
      Deno.writeTextFileSync(`${store.root}/index/${LINEAGE_INDEX}.log`, "\nrun:torn\tabc", {
        append: true,
      });
    }
    for (let s = 1 + rng.int(3); s > 0; s--) {
      const name = rng.pick(["base", "policy", "sweep"]);
      const parent = yield* store.readRef(`scenarios/${name}`);
      const invocations = [];
      for (let k = 1 + rng.int(8); k > 0; k--) {
        const run = rng.next() < 0.8 ? rng.pick(made.runs) : undefined;
        const failed = run === undefined;
        invocations.push({
          step: run?.step ?? rng.pick(STEPS),
          iteration: run?.iteration ?? null,
          run: run?.id ?? null,
          hit: !failed && rng.next() < 0.5,
          durationMs: rng.int(100),
          status: failed ? "failed" as const : "ok" as const,
          ...(failed ? { error: "boom" } : {}),
        });
      }
      const startedAt = new Date(Date.UTC(2025, 0, 2) + rng.int(5000) * 1000).toISOString();
      const runs = invocations.flatMap((i) => (i.run ? [i.run] : []));
      const record = encodeScenarioRecord({
        type: "scenario",
        name,
        status: invocations.some((i) => i.status === "failed") ? "failed" : "ok",
        config: { rate: rng.int(3), mode: { beta: rng.int(2) } },
        tags: rng.next() < 0.5 ? ["baseline"] : ["policy", "x"],
        facets: { n: rng.int(3), label: rng.pick(["a", "b"]) },
        invocations,
        parent,
        startedAt,
        endedAt: startedAt,
        durationMs: rng.int(1000),
        host: "h",
        links: [...new Set([...runs, ...(parent ? [parent] : [])])].sort(),
      });
      const id = (yield* store.putRecord(record)).id;
      yield* store.updateRef(`scenarios/${name}`, id, { message: "scenario" });
      if (!made.scenarios.includes(name)) made.scenarios.push(name);
    }
    return made;
  });
