// Section "materialize": what handing out copies instead of hard links costs — a
// tree shaped like the demo's skims (5 small files; every miss of a step with a Dir
// input materializes one) and the big file — against `cp --reflink=auto` of the same
// big file (the peer: what a user would run by hand).
import { materialize } from "../../store/materialize.ts";
import { openStoreContext } from "../../store/object_store.ts";
import { putFile } from "../../store/objects.ts";
import { putDir } from "../../store/ingest_dir.ts";
import type { Bench, Row, Section, SectionResult } from "./_section.ts";
import { bestMs, formatMicros, hasCommand, runPeer } from "./_measure.ts";

const TREES = 500;

// The demo's skims directory: zarr metadata and one chunk per array.
const writeSkimsLike = (dir: string): void => {
  for (const array of ["time", "cost"]) {
    Deno.mkdirSync(`${dir}/${array}/c/0/0`, { recursive: true });
    Deno.writeTextFileSync(`${dir}/${array}/zarr.json`, `{"array":"${array}"}`.padEnd(510));
    Deno.writeFileSync(`${dir}/${array}/c/0/0/0`, new Uint8Array(600).fill(array.length));
  }
  Deno.writeTextFileSync(`${dir}/zarr.json`, '{"node_type":"group"}'.padEnd(149));
};

const run = async (bench: Bench): Promise<SectionResult> => {
  const notes: string[] = [];
  const root = `${bench.scratch}/materialize`;
  const ctx = openStoreContext(`${root}/store`);
  writeSkimsLike(`${root}/skims`);
  const tree = putDir(ctx, `${root}/skims`, false).id;
  let n = 0;
  const trees = (link: "copy" | "hardlink") =>
    bestMs(3, () => {
      for (let i = 0; i < TREES; i++) {
        materialize(ctx, tree, `${root}/out-${n++}`, { kind: "tree", link });
      }
    });
  trees("copy"); // warm-up
  const copyUs = (trees("copy") * 1000) / TREES;
  const linkUs = (trees("hardlink") * 1000) / TREES;
  Deno.removeSync(root, { recursive: true });
  Deno.mkdirSync(root, { recursive: true });

  const big = bench.bigFile();
  const bigCtx = openStoreContext(`${root}/store-big`);
  const blob = putFile(bigCtx, big, false).id;
  let m = 0;
  const one = (link: "copy" | "hardlink") =>
    bestMs(3, () => {
      materialize(bigCtx, blob, `${root}/big-${m++}`, { kind: "blob", link });
    });
  const bigCopyMs = one("copy");
  const bigLinkMs = one("hardlink");
  const rows: Row[] = [
    {
      measure: "materialize a 5-file tree (demo skims), copy",
      cairn: formatMicros(copyUs),
      peer: "hard links",
      peerFigure: formatMicros(linkUs),
      ratio: linkUs / copyUs,
      note: `${TREES} trees; copies are verified`,
    },
  ];
  if (hasCommand("cp", ["--version"])) {
    const cpMs = (await runPeer("cp", ["--reflink=auto", big, `${root}/cp-copy`])).ms;
    rows.push({
      measure: `materialize a ${bench.mib} MiB blob, copy`,
      cairn: formatMicros(bigCopyMs * 1000),
      peer: "cp --reflink=auto",
      peerFigure: formatMicros(cpMs * 1000),
      ratio: cpMs / bigCopyMs,
      note: `hard link: ${formatMicros(bigLinkMs * 1000)} (after verifying: ${
        bigLinkMs > 1 ? "a re-hash" : "none"
      })`,
    });
  } else notes.push("materialize: cp not on PATH; the big-file peer was skipped");
  bigCtx.session.close();
  ctx.session.close();
  return { title: "materialize (copies vs hard links)", rows, notes };
};

/** The materialize section. */
export const materializeSection: Section = { name: "materialize", run };
