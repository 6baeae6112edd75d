/**
 * What the worker pool and its worker processes say to each other: one JSON object
 * per line over a Unix socket (the workers' stdout and stderr stay the steps' own,
 * inherited from the pipeline process; stdin only tells a worker that the pipeline
 * process is gone).
 *
 * @module
 */
import type { ExecutionResult, StepInvocation } from "../../model/step_invocation.ts";
import type { WireError } from "../wire_error.ts";

/** How a worker opens the store: as the pipeline process did. */
export interface WorkerSetup {
  readonly root: string;
  readonly link: "copy" | "hardlink";
  readonly validate: "lazy" | "eager";
  readonly debug: boolean;
}

/** From the pool to a worker. */
export type ToWorker =
  | { readonly type: "setup"; readonly setup: WorkerSetup }
  | {
    readonly type: "run";
    readonly id: number;
    /** The defining module's absolute path: what the worker imports to find the step. */
    readonly module: string;
    readonly invocation: StepInvocation;
  }
  | { readonly type: "exit" };

/** From a worker to the pool. */
export type FromWorker =
  | { readonly type: "hello"; readonly token: string; readonly pid: number }
  | { readonly type: "log"; readonly line: string }
  | { readonly type: "done"; readonly id: number; readonly result: ExecutionResult }
  | { readonly type: "failed"; readonly id: number; readonly error: WireError }
  /** The worker cannot run it as keyed (its module, or the step there, differs): run it here. */
  | { readonly type: "refused"; readonly id: number; readonly reason: string };

/** Set on `globalThis` while this process is a pool worker (`run` refuses to start a pipeline in one). */
export const IN_WORKER: symbol = Symbol.for("cairn.worker");

const encoder = new TextEncoder();

/** One side of the socket: whole messages out, whole messages in. */
export class Channel<In, Out> {
  readonly #conn: Deno.Conn;
  readonly #lines: AsyncIterator<string>;
  #writing: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.#lines = lines(conn.readable)[Symbol.asyncIterator]();
  }

  /** Sends a message (messages are written in order; a closed channel drops them). */
  send(message: Out): Promise<void> {
    const bytes = encoder.encode(JSON.stringify(message) + "\n");
    this.#writing = this.#writing.then(async () => {
      if (this.#closed) return;
      let written = 0;
      while (written < bytes.length) written += await this.#conn.write(bytes.subarray(written));
    }).catch(() => {
      this.#closed = true;
    });
    return this.#writing;
  }

  /** The next message, or undefined when the other side has gone. */
  async receive(): Promise<In | undefined> {
    try {
      const next = await this.#lines.next();
      return next.done ? undefined : JSON.parse(next.value) as In;
    } catch {
      return undefined;
    }
  }

  /** Closes the socket. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed by the other side
    }
  }
}

// The stream's lines, without their newlines.
async function* lines(stream: ReadableStream<Uint8Array>): AsyncIterable<string> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    let at: number;
    while ((at = pending.indexOf("\n")) >= 0) {
      yield pending.slice(0, at);
      pending = pending.slice(at + 1);
    }
  }
}
