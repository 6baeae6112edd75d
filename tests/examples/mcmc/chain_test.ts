// The example end to end over temp stores: 10 blocks, then 15 over the same store
// (blocks 0–9 reused, 10–14 run), equal bit for bit to a fresh 15-block run and to
// one uninterrupted chain computed without cairn.
import assert from "node:assert/strict";
import { Effect } from "effect";
import { Pipeline, type Row, Table } from "../../../mod.ts";
import { type ChainRun, runChain } from "../../../examples/mcmc/chain.ts";
import { type ChainState, metropolis } from "../../../examples/mcmc/metropolis.ts";
import { seedRng } from "../../../examples/mcmc/rng.ts";
import { settings } from "../../../examples/mcmc/steps.ts";

Deno.env.set("CAIRN_PROGRESS", "0");

const chainIn = (root: string, blocks: number): Promise<ChainRun> =>
  Effect.runPromise(runChain(blocks).pipe(Effect.provide(Pipeline.layerDisk({ root }))));

/** The rows of the tables `ids`, in order, as stored in `root`. */
const readTables = (root: string, ids: readonly string[]) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const { store } = yield* Pipeline;
      const rows: Row[] = [];
      for (const id of ids) {
        const bytes = yield* store.readBlob(id);
        rows.push(...(yield* Effect.promise(async () => await Table.decode(bytes))));
      }
      return rows;
    }).pipe(Effect.provide(Pipeline.layerDisk({ root }))),
  );

const blockInvocations = (run: ChainRun) => run.invocations.filter((i) => i.step === "mcmc_block");

Deno.test("extending the chain from 10 to 15 blocks reuses 0–9, runs 10–14, and equals a fresh 15-block run", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-mcmc-" });
  try {
    const root = `${dir}/extended`;
    const ten = await chainIn(root, 10);
    assert.deepEqual(ten.invocations.map((i) => [i.step, i.iteration, i.hit]), [
      ["mcmc_init", null, false],
      ...Array.from({ length: 10 }, (_, k) => ["mcmc_block", k, false]),
      ["mcmc_summary", null, false],
    ]);

    const fifteen = await chainIn(root, 15);
    assert.deepEqual(fifteen.invocations.map((i) => [i.step, i.iteration, i.hit]), [
      ["mcmc_init", null, true],
      ...Array.from({ length: 15 }, (_, k) => ["mcmc_block", k, k < 10]),
      ["mcmc_summary", null, false],
    ]);
    // The hits are the very runs the 10-block scenario recorded (a re-run would be a new record).
    assert.deepEqual(
      blockInvocations(fifteen).slice(0, 10).map((i) => i.run),
      blockInvocations(ten).map((i) => i.run),
    );
    assert.deepEqual(fifteen.samples.slice(0, 10).map((a) => a.id), ten.samples.map((a) => a.id));

    const fresh = await chainIn(`${dir}/fresh`, 15);
    assert.ok(fresh.invocations.every((i) => !i.hit));
    // Content ids: the same bytes, block by block, state and summary.
    assert.deepEqual(fifteen.samples.map((a) => a.id), fresh.samples.map((a) => a.id));
    assert.equal(fifteen.state.id, fresh.state.id);
    assert.equal(fifteen.summaryArtifact.id, fresh.summaryArtifact.id);
    assert.deepEqual(fifteen.summary, fresh.summary);
    assert.equal(fifteen.summary.blocks.length, 15);

    // And the stored samples are those of one uninterrupted chain from the seed.
    const whole = metropolis(
      { x: [...settings.start], rng: seedRng(settings.seed) } satisfies ChainState,
      { target: settings.target, scale: settings.scale, length: 15 * settings.length },
    );
    const rows = await readTables(root, fifteen.samples.map((a) => a.id));
    assert.equal(rows.length, whole.draws.length);
    rows.forEach((row, i) => {
      if (
        row.draw !== i || row.x0 !== whole.draws[i]![0] || row.x1 !== whole.draws[i]![1] ||
        row.accepted !== whole.accepted[i]
      ) {
        assert.fail(`draw ${i}: stored ${JSON.stringify(row)}, uninterrupted ${whole.draws[i]}`);
      }
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("run until the block means settle: the blocks already run are reused, and it stops at the first settled pair", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-mcmc-" });
  try {
    const root = `${dir}/store`;
    await chainIn(root, 15);
    const settle = { max: 40, tolerance: 0.01 };
    const settled = await Effect.runPromise(
      runChain(settle).pipe(Effect.provide(Pipeline.layerDisk({ root }))),
    );
    const blocks = blockInvocations(settled);
    assert.ok(blocks.slice(0, 15).every((i) => i.hit), "blocks 0–14 reused");
    const n = settled.samples.length;
    // The block means, computed here from the stored tables: the loop stopped at the
    // first block whose mean moved less than the tolerance from the one before.
    const means: number[] = [];
    for (const sample of settled.samples) {
      const rows = await readTables(root, [sample.id]);
      means.push(rows.reduce((s, r) => s + Number(r.x0), 0) / rows.length);
    }
    const settledAt = means.findIndex((m, k) => k > 0 && Math.abs(m - means[k - 1]!) < 0.01);
    assert.ok(settledAt > 0 && settledAt < 40, `settles within 40 blocks (at ${settledAt})`);
    assert.equal(n, settledAt + 1);
    const record = await Effect.runPromise(
      Effect.gen(function* () {
        const { store } = yield* Pipeline;
        return yield* store.readRecord((yield* store.readRef("scenarios/mcmc"))!);
      }).pipe(Effect.provide(Pipeline.layerDisk({ root }))),
    );
    assert.deepEqual(record.loops, [{ iterations: n, of: 40, converged: true }]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
