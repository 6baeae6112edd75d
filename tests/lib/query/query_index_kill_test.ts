// A query killed (SIGKILL) at random moments while it brings the query index up to
// date — a rebuild of a large log, or the catch-up of a tail — leaves an index the
// next query repairs: every answer equals the log view's.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Effect } from "effect";
import { ObjectStore } from "../../../mod.ts";
import {
  impactOf,
  lineageOf,
  type LineageView,
  listArtifacts,
  listRuns,
  listScenarios,
  loadLineageView,
  openQueryIndex,
} from "../../../lib/query/mod.ts";
import { grow, random } from "./_random_store.ts";

const SEED = Number(Deno.env.get("CAIRN_TEST_SEED") ?? Date.now() % 100_000);
const SCALE = Number(Deno.env.get("CAIRN_RELIABILITY_SCALE") ?? 1);
const CHILD = fileURLToPath(new URL("./_fixtures/open_index_child.ts", import.meta.url));

const answers = (view: LineageView, artifacts: readonly string[]) =>
  Effect.gen(function* () {
    return JSON.parse(JSON.stringify({
      lineage: artifacts.map((id) => lineageOf(view, [id], 2)),
      impact: artifacts.map((id) => impactOf(view, id)),
      runs: yield* listRuns(view, {}),
      artifacts: listArtifacts(view),
      scenarios: yield* listScenarios(view),
    }));
  });

// Starts the child, waits until it is ready, kills it after `ms`; true when it had finished.
const killAfter = async (root: string, ms: number): Promise<boolean> => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CHILD, root],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  await new Promise((r) => setTimeout(r, ms));
  try {
    child.kill("SIGKILL");
  } catch {
    // Exited already.
  }
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  await child.status;
  return text.includes("done");
};

Deno.test(`a query killed while it catches the index up leaves one the next query repairs (seed ${SEED})`, async () => {
  const root = await Deno.makeTempDir({ prefix: "cairn-kill-index-" });
  const layer = ObjectStore.layer({ root: `${root}/store` });
  const rng = random(SEED);
  let made = await Effect.runPromise(
    ObjectStore.use((store) => grow(store, rng, 1500)).pipe(
      Effect.provide(layer),
    ),
  );
  let kills = 0;
  let finished = 0;
  const episodes = 6 * SCALE;
  try {
    for (let episode = 0; episode < episodes; episode++) {
      if (episode % 2 === 1) {
        // A tail to catch up: more runs and scenario records after the last state.
        made = await Effect.runPromise(
          ObjectStore.use((store) => grow(store, rng, 300, made)).pipe(
            Effect.provide(layer),
          ),
        );
      } else if (rng.next() < 0.5) {
        // A rebuild from nothing.
        for (const suffix of ["", "-wal", "-shm"]) {
          await Deno.remove(`${root}/store/index/query.sqlite${suffix}`).catch(() => {});
        }
      }
      for (let k = 0; k < 4; k++) {
        if (await killAfter(`${root}/store`, rng.int(150))) finished++;
        else kills++;
      }
      const artifacts = made.artifacts.slice(0, 40);
      const [fromLogs, fromIndex] = await Effect.runPromise(
        Effect.gen(function* () {
          const logs = yield* answers(yield* loadLineageView, artifacts);
          const indexed = yield* Effect.scoped(
            Effect.flatMap(openQueryIndex(), (index) => answers(index.view, artifacts)),
          );
          return [logs, indexed] as const;
        }).pipe(Effect.provide(layer)),
      );
      assert.deepEqual(fromIndex, fromLogs, `episode ${episode} (seed ${SEED})`);
    }
    console.log(
      `query-index kills: ${kills} killed before the end, ${finished} finished, ${episodes} episodes compared`,
    );
    assert.ok(kills > 0, "at least one child was killed before it finished");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
