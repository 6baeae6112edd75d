/**
 * Why a cluster runner could not start or stopped: typed, with a message that says
 * what failed, why, and what to do.
 *
 * @module
 */
import * as Data from "effect/Data";

/** What part of a runner failed. */
export type RunnerFailure =
  /** A `--module` could not be imported (a syntax error, a missing file or import). */
  | "ModuleNotImported"
  /** PostgreSQL could not be reached, or the cluster's tables not used. */
  | "ClusterUnavailable"
  /** The runner's own address could not be listened on. */
  | "AddressInUse"
  /** The store could not be opened. */
  | "StoreUnavailable";

/** A runner that could not start, or stopped. */
export class RunnerError extends Data.TaggedError("RunnerError")<{
  readonly reason: RunnerFailure;
  readonly detail: string;
}> {
  /** What failed, why, and what to do. */
  override get message(): string {
    switch (this.reason) {
      case "ModuleNotImported":
        return `Cannot start the runner: ${this.detail}; fix the module, or pass the pipeline's own modules with --module`;
      case "ClusterUnavailable":
        return `Cannot start the runner: PostgreSQL did not answer (${this.detail}); check --sql (postgres://user@host:port/db) and that the server is up`;
      case "AddressInUse":
        return `Cannot start the runner: ${this.detail}; choose another --port, or stop the process that holds it`;
      case "StoreUnavailable":
        return `Cannot start the runner: the store could not be opened (${this.detail}); check --store`;
    }
    return `Cannot start the runner: ${this.detail}`;
  }
}
