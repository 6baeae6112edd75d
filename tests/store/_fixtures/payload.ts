// Deterministic payloads shared by the multi-process tests and their child
// processes: both sides derive the same bytes from a seed, so the parent can
// compute every expected object id without being told the bytes.

/** `size` pseudo-random bytes derived from `seed` (xorshift32 seeded by FNV-1a). */
export const payload = (seed: string, size: number): Uint8Array => {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
  let x = (h >>> 0) || 1;
  const out = new Uint8Array(size);
  const words = new Uint32Array(out.buffer, 0, size >>> 2);
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  for (let i = words.length * 4; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
};

/** Sizes that mix small payloads with an occasional ~1 MiB one. */
export const mixedSize = (j: number): number =>
  j % 50 === 7 ? (1 << 20) + j : 16 + ((j * 7919) % 4000);

/** Blob `i` of the chain writer: 256 B–16 KiB, and 256 KiB every 25th. */
export const chainBlob = (i: number): Uint8Array =>
  payload(`chain-blob-${i}`, i % 25 === 3 ? 256 * 1024 + i : 256 + ((i * 4099) % (16 * 1024)));
