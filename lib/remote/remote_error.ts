/**
 * The error of a push or pull that cannot go ahead as asked: an unknown remote or
 * scenario, an object the local store lacks. One sentence, problem then fix; the
 * CLI exits with status 2.
 *
 * @module
 */
import * as Data from "effect/Data";

/**
 * A push or pull could not go ahead as asked.
 *
 * @example The message is the detail
 * ```ts
 * import assert from "node:assert/strict"
 * import { RemoteError } from "./remote_error.ts"
 *
 * const e = new RemoteError({ detail: 'Cannot push "base": no such scenario here' })
 * assert.equal(e.message, 'Cannot push "base": no such scenario here')
 * ```
 */
export class RemoteError extends Data.TaggedError("RemoteError")<{ readonly detail: string }> {
  override get message(): string {
    return this.detail;
  }
}
