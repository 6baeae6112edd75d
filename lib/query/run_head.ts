/**
 * What an impact walk needs of a run: where it sits and what it made — read by the
 * query index from columns and rows, without parsing the run's summary.
 *
 * @module
 */

/** A run's step, iteration, scenario and outputs. */
export interface RunHead {
  /** The step's name. */
  readonly step: string;
  /** The iteration (null outside `iterate`). */
  readonly iteration: number | null;
  /** The scenario the run was made in. */
  readonly scenario: string | null;
  /** Its outputs' artifact ids, in the order of its summary's outputs. */
  readonly outputs: readonly string[];
}
