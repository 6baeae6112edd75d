/**
 * The error of a query: a target that matches nothing or several things, a
 * malformed filter. One sentence, problem then fix; the CLI exits with status 2.
 *
 * @module
 */
import * as Data from "effect/Data";

/** A query could not be answered as asked. */
export class QueryError extends Data.TaggedError("QueryError")<{ readonly detail: string }> {
  /** What could not be answered, and what to do. */
  override get message(): string {
    return this.detail;
  }
}
