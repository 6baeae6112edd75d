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

/**
 * The remote failed while a push or pull ran (the server gone, a timeout): what
 * was copied is complete and kept, so running the command again goes on from it.
 * The CLI exits with status 1.
 *
 * @example The message names the remote and what to do
 * ```ts
 * import assert from "node:assert/strict"
 * import { RemoteUnavailable } from "./remote_error.ts"
 *
 * const e = new RemoteUnavailable({
 *   verb: "pull",
 *   remote: "origin",
 *   url: "s3://team/cache",
 *   detail: "connect ECONNREFUSED",
 * })
 * assert.match(e.message, /^Cannot pull from remote "origin" \(s3:\/\/team\/cache\): connect/)
 * assert.match(e.message, /run the pull again/)
 * ```
 */
export class RemoteUnavailable extends Data.TaggedError("RemoteUnavailable")<{
  readonly verb: "push" | "pull";
  readonly remote: string;
  readonly url: string;
  /** What failed, as the store said it. */
  readonly detail: string;
}> {
  override get message(): string {
    const what = this.verb === "pull" ? "what was pulled" : "what was sent";
    return `Cannot ${this.verb} ${
      this.verb === "pull" ? "from" : "to"
    } remote "${this.remote}" (${this.url}): ${this.detail}; ${what} is complete and kept: run the ${this.verb} again once the server answers`;
  }
}
