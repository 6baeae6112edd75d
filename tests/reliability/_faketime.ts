// Running a child process with its clock off the file system's, with Debian's
// `faketime` (libfaketime, LD_PRELOAD). Deno is a Rust binary that reads the clock
// through libc's clock_gettime, which libfaketime intercepts: the probe below checks
// that `Date.now()` in a Deno child really moves while the file system's timestamps
// (set by the kernel) do not. FAKETIME_DONT_FAKE_MONOTONIC=1 leaves the monotonic
// clock alone: timers and performance.now() stay real, only the wall clock moves
// (with -5 s on the monotonic clock too, a child's timers fired early or late).
// `-m` preloads the library's thread-safe build: Deno reads the clock from many
// threads at once, and under the default build a skewed child died of SIGSEGV now and
// then (once in a full CI run: the wrapper's "Caught Segmentation fault").
//
// Where faketime is missing the suites that need it are skipped with the reason
// printed — except under CI=true, where that is a failure: CI must not pass by
// skipping (.ci/run installs the package).

/** How to start a child whose clock is `seconds` off the file system's. */
export interface Skew {
  readonly wrapper: readonly string[];
  readonly env: Record<string, string>;
}

const PROBE =
  'const p = Deno.makeTempFileSync(); Deno.writeTextFileSync(p, "x"); console.log(Date.now() - Deno.statSync(p).mtime.getTime()); Deno.removeSync(p)';

const cache = new Map<number, Skew | string>();

/** A wrapper that skews a Deno child's clock by `seconds`, or why there is none here. */
export const skewed = (seconds: number): Skew | string => {
  const known = cache.get(seconds);
  if (known !== undefined) return known;
  const skew: Skew = {
    wrapper: ["faketime", "-m", "-f", `${seconds >= 0 ? "+" : ""}${seconds}s`],
    env: { FAKETIME_DONT_FAKE_MONOTONIC: "1" },
  };
  let found: Skew | string;
  try {
    const out = new Deno.Command(skew.wrapper[0]!, {
      args: [...skew.wrapper.slice(1), Deno.execPath(), "eval", PROBE],
      env: skew.env,
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    const measured = Number(new TextDecoder().decode(out.stdout).trim());
    found = out.code !== 0
      ? `faketime failed: ${new TextDecoder().decode(out.stderr).trim()}`
      : Math.abs(measured - seconds * 1000) < 1000
      ? skew
      : `faketime ${skew.wrapper.at(-1)} moved Deno's clock by ${measured} ms, not ${
        seconds * 1000
      }`;
  } catch (e) {
    found = e instanceof Deno.errors.NotFound
      ? "faketime is not installed (Debian: apt-get install faketime)"
      : `faketime could not run: ${e}`;
  }
  cache.set(seconds, found);
  return found;
};

/** The skew wrapper, or undefined after printing why the test is skipped (a failure under CI). */
export const skewedOrSkip = (seconds: number, what: string): Skew | undefined => {
  const found = skewed(seconds);
  if (typeof found !== "string") return found;
  if (Deno.env.get("CI") === "true") {
    throw new Error(`Cannot run ${what} under CI: ${found}`);
  }
  console.log(`note: ${what} skipped: ${found}`);
  return undefined;
};
