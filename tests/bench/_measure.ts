// Timing, peer processes, random data and number formatting for the benchmarks.

/** Milliseconds taken by `f` (wall clock). */
export const timeMs = (f: () => void): number => {
  const start = performance.now();
  f();
  return performance.now() - start;
};

/** The fastest of `runs` timings of `f`, in milliseconds. */
export const bestMs = (runs: number, f: () => void): number => {
  let best = Infinity;
  for (let i = 0; i < runs; i++) best = Math.min(best, timeMs(f));
  return best;
};

/** What a peer process printed and how long it took from spawn to exit. */
export interface CommandRun {
  readonly ms: number;
  readonly stdout: string;
}

// Peers run with a predictable git configuration, whatever the user's is.
const PEER_ENV = { GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", LC_ALL: "C" };

/**
 * Runs `cmd` with `stdin` piped in and times the whole process. Throws when it
 * exits non-zero. stdout is drained while stdin is written, so a peer that
 * answers line by line (`git cat-file --batch-check`) cannot dead-lock on a full pipe.
 */
export const runPeer = async (
  cmd: string,
  args: readonly string[],
  options: { readonly cwd?: string; readonly stdin?: string } = {},
): Promise<CommandRun> => {
  const start = performance.now();
  const child = new Deno.Command(cmd, {
    args: [...args],
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: PEER_ENV,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = child.output();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const out = await output;
  const ms = performance.now() - start;
  if (!out.success) {
    const stderr = new TextDecoder().decode(out.stderr).trim();
    throw new Error(`Cannot run "${cmd} ${args.join(" ")}": exit ${out.code}: ${stderr}`);
  }
  return { ms, stdout: new TextDecoder().decode(out.stdout) };
};

/**
 * Writes dirty file-system data back to disk (`sync`), so that a timed phase does
 * not pay for the writeback of what an earlier phase created. Skipped without sync(1).
 */
export const settle = (): void => {
  try {
    new Deno.Command("sync", { stdout: "null", stderr: "null" }).outputSync();
  } catch {
    // No sync(1) on PATH: the phases then share writeback costs unevenly.
  }
};

/** True when `cmd` runs from PATH and exits 0 given `args` (e.g. its version command). */
export const hasCommand = (cmd: string, args: readonly string[]): boolean => {
  try {
    return new Deno.Command(cmd, { args: [...args], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
};

/** `length` cryptographically random bytes (getRandomValues fills at most 64 KiB a call). */
export const randomBytes = (length: number): Uint8Array => {
  const bytes = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += 65536) {
    crypto.getRandomValues(bytes.subarray(offset, Math.min(length, offset + 65536)));
  }
  return bytes;
};

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/** `count` random lowercase hex strings of `chars` characters (an even number). */
export const randomHex = (count: number, chars: number): string[] => {
  const width = chars / 2;
  const bytes = randomBytes(count * width);
  return Array.from({ length: count }, (_, i) => {
    let s = "";
    for (let j = i * width; j < (i + 1) * width; j++) s += HEX[bytes[j]!];
    return s;
  });
};

/** Shuffles `items` in place (Fisher–Yates) and returns it. */
export const shuffle = <A>(items: A[]): A[] => {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
};

/** A duration given in microseconds, with a unit that keeps it short. */
export const formatMicros = (us: number): string => {
  if (us < 10) return `${us.toFixed(2)} µs`;
  if (us < 1000) return `${us.toFixed(1)} µs`;
  if (us < 1e6) return `${(us / 1000).toFixed(1)} ms`;
  return `${(us / 1e6).toFixed(2)} s`;
};

/** Bytes per millisecond as GB/s (10^9 bytes a second). */
export const formatGBps = (bytes: number, ms: number): string =>
  `${(bytes / ms / 1e6).toFixed(2)} GB/s`;

/** A ratio such as `1.42×`. */
export const formatRatio = (ratio: number): string =>
  `${ratio >= 100 ? ratio.toFixed(0) : ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}×`;

/** An integer with thousands separators (`50,000`). */
export const formatCount = (n: number): string => n.toLocaleString("en-US");

/** Writes `mib` MiB of random bytes to `path`, 1 MiB at a time. */
export const writeRandomFile = (path: string, mib: number): void => {
  const file = Deno.openSync(path, { createNew: true, write: true });
  try {
    for (let i = 0; i < mib; i++) {
      const chunk = randomBytes(1 << 20);
      let offset = 0;
      while (offset < chunk.length) offset += file.writeSync(chunk.subarray(offset));
    }
  } finally {
    file.close();
  }
};

/** A positive integer from environment variable `name`, or `fallback` when unset. */
export const positiveInt = (name: string, fallback: number): number => {
  const raw = Deno.env.get(name);
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`Cannot read "${name}": "${raw}" is not a positive integer`);
  }
  return value;
};
