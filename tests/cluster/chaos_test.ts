// Chaos: two runners, one of them killed with SIGKILL at a random moment, 20 times, while
// sweeps run through them (each killed runner is replaced at once). Every scenario must
// end with its right result and its record, every key with one cache entry, and fsck must
// find nothing wrong.
import assert from "node:assert/strict";
import { Effect } from "effect";
import { CACHE_INDEX } from "../../lib/model/cache_entry.ts";
import { input, iterate, Pipeline, sweep } from "../../mod.ts";
import { cluster } from "../../lib/pipeline/cluster/mod.ts";
import { postgresOrSkip } from "./_postgres.ts";
import { type RunnerProcess, startRunner } from "./_runners.ts";
import { tick } from "./_steps.ts";

Deno.env.set("CAIRN_PROGRESS", "0");

const KILLS = 20;
const SCENARIOS = ["a", "b", "c", "d", "e", "f"];
const ITERATIONS = 12;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test(`${KILLS} SIGKILLs of runners at random moments during sweeps: every scenario completes, one cache entry per key, fsck clean`, async () => {
  const pg = await postgresOrSkip("the chaos test");
  if (!pg) return;
  const dir = Deno.makeTempDirSync({ prefix: "cairn-chaos-" });
  const root = `${dir}/store`;
  const runners: RunnerProcess[] = [];
  try {
    runners.push(await startRunner(pg.url, root), await startRunner(pg.url, root));
    const waited: string[] = [];
    const progress = {
      stepStarted: () => {},
      stepFinished: () => {},
      iterationFinished: () => {},
      scenarioFinished: () => {},
      log: (line: string) => void waited.push(line),
    };
    const layer = Pipeline.layerDisk({ root, progress, executor: cluster({ sql: pg.url }) });
    // Round r's scenario x starts from 1000 r + its index and ticks ITERATIONS times.
    const round = (r: number) =>
      sweep(
        `chaos-${r}`,
        Object.fromEntries(SCENARIOS.map((label, i) => [label, 1000 * r + i])),
        (start) =>
          Effect.gen(function* () {
            const first = yield* input.value(start);
            const last = yield* iterate(
              { times: ITERATIONS },
              { state: first },
              (s) => tick({ state: s.state }),
            );
            const { store } = yield* Pipeline;
            return JSON.parse(new TextDecoder().decode(yield* store.readBlob(last.state.id)));
          }),
      );
    let kills = 0;
    let rounds = 0;
    const t0 = performance.now();
    while (kills < KILLS) {
      rounds++;
      let finished = false;
      const running = Effect.runPromise(round(rounds).pipe(Effect.provide(layer))).finally(() => {
        finished = true;
      });
      while (!finished && kills < KILLS) {
        await sleep(200 + Math.random() * 800);
        if (finished) break;
        const i = Math.floor(Math.random() * runners.length);
        await runners[i]!.kill();
        kills++;
        runners[i] = await startRunner(pg.url, root);
      }
      const results = await Promise.race([
        running,
        sleep(180_000).then(() => {
          throw new Error(`round ${rounds} did not finish within 180 s after ${kills} kills`);
        }),
      ]);
      SCENARIOS.forEach((label, i) => {
        assert.equal(results[label], 1000 * rounds + i + ITERATIONS, `chaos-${rounds}/${label}`);
      });
    }
    console.log(
      `${kills} kills over ${rounds} rounds in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${
        waited.filter((l) => l.includes("no runner has answered")).length
      } invocations waited over 30 s for a runner`,
    );
    const check = await Effect.runPromise(
      Effect.gen(function* () {
        const { store } = yield* Pipeline;
        const snapshot = yield* store.index(CACHE_INDEX).snapshot();
        const missing: string[] = [];
        for (let r = 1; r <= rounds; r++) {
          for (const label of SCENARIOS) {
            if ((yield* store.readRef(`scenarios/chaos-${r}/${label}`)) === undefined) {
              missing.push(`chaos-${r}/${label}`);
            }
          }
        }
        return {
          entries: [...snapshot.values()].map((v) => v.length),
          missing,
          fsck: yield* store.fsck(),
        };
      }).pipe(Effect.provide(Pipeline.layerDisk({ root }))),
    );
    assert.deepEqual(check.missing, [], "every scenario recorded");
    // One start value per scenario and its ticks: that many keys, one entry each.
    assert.equal(check.entries.length, rounds * SCENARIOS.length * ITERATIONS);
    assert.ok(check.entries.every((n) => n === 1), "one cache entry per key");
    assert.ok(check.fsck.ok, JSON.stringify(check.fsck.problems));
  } finally {
    for (const r of runners) await r.stop();
    await pg.stop();
    Deno.removeSync(dir, { recursive: true });
  }
});
