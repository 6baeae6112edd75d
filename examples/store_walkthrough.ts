/**
 * A walkthrough of the cairn object store — what `deno task demo` runs until the
 * travel-demand example arrives. It stores a small zarr-like directory and a run
 * record, points a ref at it, reads everything back verified, materializes the
 * directory, and ends with fsck and a gc dry run. Run it twice: the second run
 * finds every object already present.
 *
 * Store: `$CAIRN_STORE`, else `./.cairn`.
 *
 * @module
 */
import { Effect } from "effect";
import { ObjectStore } from "../mod.ts";

const short = (id: string) => id.slice(0, 12);

const makeSkims = (dir: string, iteration: number): void => {
  Deno.mkdirSync(`${dir}/skims.zarr/time/0`, { recursive: true });
  Deno.writeTextFileSync(`${dir}/skims.zarr/.zgroup`, '{"zarr_format":2}');
  Deno.writeTextFileSync(
    `${dir}/skims.zarr/time/.zarray`,
    '{"shape":[5,5],"chunks":[5,5],"dtype":"<f8"}',
  );
  const times = new Float64Array(25).map((_, i) =>
    5 + Math.abs((i % 5) - Math.floor(i / 5)) * 4 + iteration
  );
  Deno.writeFileSync(`${dir}/skims.zarr/time/0/0`, new Uint8Array(times.buffer));
};

const program = Effect.gen(function* () {
  const store = yield* ObjectStore;
  console.log(`store: ${store.root}\n`);
  const scratch = Deno.makeTempDirSync({ prefix: "cairn-walkthrough-" });
  const enc = new TextEncoder();

  console.log("1. Content addressing — the same bytes always get the same id");
  const zones = yield* store.putBlob(
    enc.encode("zone,population\n1,1200\n2,800\n3,1500\n4,600\n5,900\n"),
  );
  console.log(
    `   zones.csv      blob   ${short(zones.id)}  ${zones.size} B  ${
      zones.written ? "written" : "already present"
    }`,
  );

  console.log("\n2. A directory (a zarr store of many small files) becomes one tree");
  makeSkims(scratch, 0);
  const skims = yield* store.putDir(`${scratch}/skims.zarr`, { move: true });
  console.log(
    `   skims.zarr/    tree   ${
      short(skims.id)
    }  ${skims.files} files, ${skims.size} B (moved in, zero-copy)`,
  );
  for (const entry of yield* store.readTree(skims.id)) {
    console.log(`     ${entry.mode.padEnd(10)} ${short(entry.id)}  ${entry.name}`);
  }

  console.log("\n3. A record ties a run to its inputs and outputs; a ref names the newest");
  const run = yield* store.putRecord({
    type: "run",
    step: "init",
    iteration: 0,
    inputs: { zones: zones.id },
    outputs: { skims: skims.id },
    links: [zones.id, skims.id],
  });
  const previous = yield* store.readRef("scenarios/walkthrough");
  if (previous !== run.id) {
    yield* store.updateRef("scenarios/walkthrough", run.id, {
      expected: previous,
      message: "walkthrough run",
    });
  }
  console.log(`   run record     ${short(run.id)}  refs/scenarios/walkthrough -> ${short(run.id)}`);
  const log = yield* store.reflog("scenarios/walkthrough");
  console.log(`   reflog: ${log.length} update(s), newest "${log[log.length - 1]?.message}"`);

  console.log("\n4. A cache index maps a step's key to its run record (O(1) lookups)");
  const cache = store.index("cache");
  const key = "walkthrough-init-key";
  const hit = yield* cache.get(key);
  if (hit === undefined) yield* cache.append(key, run.id);
  console.log(
    `   ${key} -> ${short(run.id)}  (${hit === undefined ? "new entry" : "found: a cache hit"})`,
  );

  console.log("\n5. Reads are verified; materialize hard-links files out of the store");
  const record = yield* store.readRecord(run.id);
  console.log(`   record type "${record.type}", step "${String(record.step)}"`);
  const dest = `${scratch}/materialized/skims.zarr`;
  const out = yield* store.materialize(skims.id, dest);
  console.log(`   ${dest}: ${out.files} files, ${out.linked} hard-linked`);

  console.log("\n6. fsck re-hashes every object; gc (dry run) shows what is unreachable");
  const check = yield* store.fsck();
  console.log(
    `   fsck: ${
      check.ok ? "ok" : "PROBLEMS"
    } — ${check.objects} objects (${check.byKind.blob} blobs, ${check.byKind.tree} trees, ${check.byKind.record} records), ${check.refs} ref(s)`,
  );
  const sweep = yield* store.gc({ dryRun: true, graceMs: 0 });
  console.log(
    `   gc --dry-run: ${sweep.reachable} reachable, would remove ${sweep.objectsRemoved} object(s)`,
  );
  Deno.removeSync(scratch, { recursive: true });
  console.log("\nRun it again: every object is already present and the cache entry is a hit.");
});

if (import.meta.main) {
  await Effect.runPromise(program.pipe(Effect.provide(ObjectStore.layer())));
}
