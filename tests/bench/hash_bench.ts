// Section "hash": SHA-256 throughput over one big file, cairn's hashFile against
// `openssl dgst -sha256`, both reading the same file from the page cache.
import { createHash } from "node:crypto";
import { hashFile } from "../../store/objects.ts";
import type { Bench, Row, Section, SectionResult } from "./_section.ts";
import { bestMs, formatGBps, formatMicros, runPeer } from "./_measure.ts";

const RUNS = 3;

const run = async (bench: Bench): Promise<SectionResult> => {
  const notes: string[] = [];
  const path = bench.bigFile();
  const bytes = bench.mib << 20;
  // One untimed read each way so that neither side pays for a cold page cache.
  hashFile(path);
  const cairnMs = bestMs(RUNS, () => hashFile(path));

  // The hash alone, no file I/O: tells hashing cost apart from read cost.
  const data = Deno.readFileSync(path);
  const memoryMs = bestMs(RUNS, () => {
    const hash = createHash("sha256");
    for (let offset = 0; offset < data.length; offset += 1 << 20) {
      hash.update(data.subarray(offset, offset + (1 << 20)));
    }
    hash.digest("hex");
  });

  let opensslMs: number | undefined;
  if (bench.peers.openssl) {
    opensslMs = Infinity;
    for (let i = 0; i < RUNS; i++) {
      const out = await runPeer("openssl", ["dgst", "-sha256", path]);
      if (!/= [0-9a-f]{64}\s*$/.test(out.stdout)) {
        notes.push(`hash: unexpected openssl output "${out.stdout.trim()}"`);
      }
      opensslMs = Math.min(opensslMs, out.ms);
    }
  } else {
    notes.push("hash: openssl not found on PATH: the openssl peer is skipped");
  }

  const rows: Row[] = [
    {
      measure: "SHA-256 of file (hashFile)",
      cairn: formatGBps(bytes, cairnMs),
      ...(opensslMs === undefined ? {} : {
        peer: "openssl dgst -sha256",
        peerFigure: formatGBps(bytes, opensslMs),
        ratio: opensslMs / cairnMs,
        pass: opensslMs / cairnMs >= 1,
      }),
      target: "≥ 1.0× openssl",
      note: `best of ${RUNS}: ${formatMicros(cairnMs * 1000)}`,
    },
    {
      measure: "SHA-256 in memory (node:crypto)",
      cairn: formatGBps(bytes, memoryMs),
      note: "no file I/O; for comparison",
    },
  ];
  return { title: `hash: one ${bench.mib} MiB random file, page cache warm`, rows, notes };
};

/** Section "hash": SHA-256 throughput of hashFile against openssl on the same file. */
export const hashSection: Section = { name: "hash", run };
