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

/** Options of {@linkcode makeProgress} (tests give their own terminal). */
export interface ProgressOptions {
  /** Writes text to the terminal or log (default: this process's stderr). */
  readonly write?: (text: string) => void;
  /** One live line rewritten in place (default: stderr is a terminal). */
  readonly live?: boolean;
  /** Says nothing at all (default: `CAIRN_PROGRESS=0`). */
  readonly quiet?: boolean;
  /** What the executor is doing, appended to the live line and the iteration lines. */
  readonly status?: () => string | undefined;
  /** The terminal's width: the live line is cut to it (default: stderr's, else 100). */
  readonly columns?: () => number;
}

const encoder = new TextEncoder();
const writeStderr = (text: string) => {
  try {
    Deno.stderr.writeSync(encoder.encode(text));
  } catch {
    // stderr closed: progress is best effort
  }
};

const stderrColumns = (): number => {
  try {
    return Deno.consoleSize().columns || 100;
  } catch {
    return 100;
  }
};

// How often the live line is redrawn while something runs, so the executor's status
// (a worker picking up a queued step) shows between the interpreter's own events.
const REDRAW_MS = 250;

interface ScenarioProgress {
  hits: number;
  misses: number;
  iteration: number | null;
  total: number | null;
  step: string;
}

/**
 * The progress reporter: for this process's stderr, unless `options` say otherwise.
 *
 * On a terminal, one line rewritten in place: the scenario's iteration, its current
 * step and its hits and misses — or, while several scenarios run at once (a sweep),
 * each one's iteration and the hits and misses of all — then what the executor is
 * doing (for the `workers` pool, what each busy worker runs and how many invocations
 * wait). Otherwise one line per finished iteration (with the executor's status) and
 * one per finished scenario.
 */
export const makeProgress = (options: ProgressOptions = {}): Progress => {
  const write = options.write ?? writeStderr;
  const quiet = options.quiet ?? Deno.env.get("CAIRN_PROGRESS") === "0";
  const live = !quiet && (options.live ?? Deno.stderr.isTerminal());
  const columns = options.columns ?? stderrColumns;
  const status = () => {
    try {
      return options.status?.();
    } catch {
      return undefined;
    }
  };
  const scenarios = new Map<string, ScenarioProgress>();
  const stateOf = (scenario: string | null) => {
    const key = scenario ?? "";
    let s = scenarios.get(key);
    if (!s) {
      scenarios.set(key, s = { hits: 0, misses: 0, iteration: null, total: null, step: "" });
    }
    return s;
  };
  const iterationText = (s: ScenarioProgress) =>
    s.iteration === null ? "" : `${s.iteration}${s.total ? `/${s.total}` : ""}`;
  let shown = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  const line = (): string => {
    const all = [...scenarios.entries()];
    let text: string;
    if (all.length === 1) {
      const [name, s] = all[0]!;
      const iteration = s.iteration === null ? "" : ` iteration ${iterationText(s)}`;
      text = `[${name || "cairn"}]${iteration}  ${s.step}  hits ${s.hits}  misses ${s.misses}`;
    } else {
      const hits = all.reduce((n, [, s]) => n + s.hits, 0);
      const misses = all.reduce((n, [, s]) => n + s.misses, 0);
      const each = all.map(([name, s]) => {
        const at = iterationText(s);
        return `${name || "cairn"}${at ? ` ${at}` : ""}`;
      }).join(", ");
      text = `[cairn] ${all.length} scenarios: ${each}  hits ${hits}  misses ${misses}`;
    }
    const doing = status();
    if (doing) text += `  · ${doing}`;
    const width = Math.max(20, columns() - 1);
    return text.length > width ? text.slice(0, width - 1) + "…" : text;
  };
  const render = () => {
    if (!live || scenarios.size === 0) return;
    write(`\r\x1b[2K${line()}`);
    shown = true;
    if (timer === undefined && options.status) {
      const redraw = setInterval(() => {
        if (scenarios.size === 0) stop();
        else render();
      }, REDRAW_MS);
      Deno.unrefTimer(redraw);
      timer = redraw;
    }
  };
  const stop = () => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };
  const clear = () => {
    if (live && shown) write("\r\x1b[2K");
    shown = false;
  };
  return {
    stepStarted: (scenario, step, iteration) => {
      const s = stateOf(scenario);
      if (iteration !== null) s.iteration = iteration;
      s.step = step;
      render();
    },
    stepFinished: (scenario, step, _iteration, hit) => {
      const s = stateOf(scenario);
      if (hit) s.hits++;
      else s.misses++;
      s.step = step;
      render();
    },
    iterationFinished: (scenario, iteration, total) => {
      const s = stateOf(scenario);
      s.total = total;
      if (!live && !quiet) {
        const doing = status();
        write(
          `[${scenario ?? "cairn"}] iteration ${iteration}${
            total ? `/${total}` : ""
          } done (so far ${s.hits} hits, ${s.misses} misses)${doing ? ` · ${doing}` : ""}\n`,
        );
      }
    },
    scenarioFinished: (scenario, status, hits, misses, ms) => {
      clear();
      scenarios.delete(scenario);
      if (scenarios.size === 0) stop();
      if (!quiet) {
        write(
          `[${scenario}] ${status}: ${hits} hits, ${misses} misses, ${(ms / 1000).toFixed(2)} s\n`,
        );
      }
      render();
    },
    log: (text) => {
      clear();
      write(text + "\n");
      render();
    },
  };
};
