/**
 * Progress reporting on stderr: on a terminal, one live line per scenario that is
 * rewritten in place (iteration i/n, step, hits/misses); otherwise plain lines, one
 * per finished iteration and one per finished scenario. stdout is never touched,
 * so piped output is never garbled. `CAIRN_PROGRESS=0` silences it.
 *
 * @module
 */

/** What the interpreter reports as it goes. */
export interface Progress {
  /** A step invocation began. */
  stepStarted(scenario: string | null, step: string, iteration: number | null): void;
  /** A step invocation ended, as a hit or a miss. */
  stepFinished(
    scenario: string | null,
    step: string,
    iteration: number | null,
    hit: boolean,
    ms: number,
  ): void;
  /** An iteration of `iterate` ended. */
  iterationFinished(scenario: string | null, iteration: number, total: number | null): void;
  /** A scenario ended. */
  scenarioFinished(
    scenario: string,
    status: string,
    hits: number,
    misses: number,
    ms: number,
  ): void;
  /** Writes one line (a warning, a debug line). */
  log(line: string): void;
}

const encoder = new TextEncoder();
const write = (text: string) => {
  try {
    Deno.stderr.writeSync(encoder.encode(text));
  } catch {
    // stderr closed: progress is best effort
  }
};

/** The progress reporter for this process's stderr. */
export const makeProgress = (): Progress => {
  const quiet = Deno.env.get("CAIRN_PROGRESS") === "0";
  const live = !quiet && Deno.stderr.isTerminal();
  const counts = new Map<
    string,
    { hits: number; misses: number; iteration: number | null; total: number | null }
  >();
  const stateOf = (scenario: string | null) => {
    const key = scenario ?? "";
    let s = counts.get(key);
    if (!s) counts.set(key, s = { hits: 0, misses: 0, iteration: null, total: null });
    return s;
  };
  let shown = false;
  const render = (scenario: string | null, step: string) => {
    if (!live) return;
    const s = stateOf(scenario);
    const iter = s.iteration === null
      ? ""
      : ` iteration ${s.iteration}${s.total ? `/${s.total}` : ""}`;
    write(`\r\x1b[2K[${scenario ?? "cairn"}]${iter}  ${step}  hits ${s.hits}  misses ${s.misses}`);
    shown = true;
  };
  const clear = () => {
    if (live && shown) write("\r\x1b[2K");
    shown = false;
  };
  return {
    stepStarted: (scenario, step, iteration) => {
      const s = stateOf(scenario);
      if (iteration !== null) s.iteration = iteration;
      render(scenario, step);
    },
    stepFinished: (scenario, step, _iteration, hit) => {
      const s = stateOf(scenario);
      if (hit) s.hits++;
      else s.misses++;
      render(scenario, step);
    },
    iterationFinished: (scenario, iteration, total) => {
      const s = stateOf(scenario);
      s.total = total;
      if (!live && !quiet) {
        write(
          `[${scenario ?? "cairn"}] iteration ${iteration}${
            total ? `/${total}` : ""
          } done (so far ${s.hits} hits, ${s.misses} misses)\n`,
        );
      }
    },
    scenarioFinished: (scenario, status, hits, misses, ms) => {
      clear();
      counts.delete(scenario);
      if (!quiet) {
        write(
          `[${scenario}] ${status}: ${hits} hits, ${misses} misses, ${(ms / 1000).toFixed(2)} s\n`,
        );
      }
    },
    log: (line) => {
      clear();
      write(line + "\n");
    },
  };
};
