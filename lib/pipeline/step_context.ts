/**
 * What a step's `run` receives besides its inputs and config.
 *
 * @module
 */

/** What `run` receives besides its inputs and config. */
export interface StepContext {
  /** The step's name. */
  readonly step: string;
  /** The iteration this invocation belongs to (null outside `iterate`). */
  readonly iteration: number | null;
  /** The scenario this invocation belongs to (null outside any scenario). */
  readonly scenario: string | null;
  /** A fresh directory for file and directory outputs (`File`, `Dir`): write `<outDir>/<output name>`. */
  readonly outDir: string;
  /** The path of an input as a file or directory (materialized on first use). */
  readonly path: (input: string) => string;
  /** Writes a line to the progress log. */
  readonly log: (line: string) => void;
}
