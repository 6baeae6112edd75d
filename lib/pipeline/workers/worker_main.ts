/**
 * A worker process of the pool (see `pool.ts`): `deno run -A worker_main.ts <socket>
 * <token>`. It connects to the pool's socket, opens the store as the pipeline process
 * did, and runs the invocations it is sent, one at a time: it imports the step's
 * defining module (whose declarations register their steps), finds the step by its
 * address, checks that the key its own declaration gives is the invocation's — so no
 * run is ever recorded under a key computed from other code or config — and runs it,
 * writing outputs and the run record straight into the store. When it cannot run an
 * invocation as keyed, it says so and the pool runs it in the pipeline process.
 *
 * It exits when the pool tells it to, when the socket closes, and — even in the middle
 * of a step — when the pipeline process is gone (its stdin reaches end of file).
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import * as ManagedRuntime from "effect/ManagedRuntime";
import { decodeStepInvocation } from "../../model/step_invocation.ts";
import { inProcess } from "../execute.ts";
import { Pipeline } from "../pipeline.ts";
import type { Progress } from "../progress.ts";
import { applyEnv, failureOf, importOnce, refusal } from "../remote_run.ts";
import { encodePipelineError } from "../wire_error.ts";
import {
  Channel,
  type FromWorker,
  IN_WORKER,
  type ToWorker,
  type WorkerSetup,
} from "./protocol.ts";

// Kills this process when the pipeline process is gone, whatever the main thread is
// doing: a thread of its own waits for stdin's end of file.
const WATCHDOG = `
const reader = Deno.stdin.readable.getReader();
for (;;) {
  const { done } = await reader.read().catch(() => ({ done: true }));
  if (done) break;
}
Deno.kill(Deno.pid, "SIGKILL");
`;

const quiet = (channel: Channel<ToWorker, FromWorker>): Progress => ({
  stepStarted: () => {},
  stepFinished: () => {},
  iterationFinished: () => {},
  scenarioFinished: () => {},
  log: (line) => void channel.send({ type: "log", line }),
});

const main = async (socket: string, token: string): Promise<void> => {
  new Worker(`data:application/javascript,${encodeURIComponent(WATCHDOG)}`, { type: "module" });
  (globalThis as Record<symbol, unknown>)[IN_WORKER] = true;
  const conn = await Deno.connect({ transport: "unix", path: socket });
  const channel = new Channel<ToWorker, FromWorker>(conn);
  await channel.send({ type: "hello", token, pid: Deno.pid });
  const first = await channel.receive();
  if (first?.type !== "setup") return;
  const setup: WorkerSetup = first.setup;
  const runtime = ManagedRuntime.make(
    Pipeline.layerDisk({
      root: setup.root,
      // The pipeline process looks up, downloads the inputs of and uploads what runs here.
      remote: false,
      link: setup.link,
      validate: setup.validate,
      progress: quiet(channel),
    }),
  );
  try {
    const pipeline = await runtime.runPromise(Effect.gen(function* () {
      return yield* Pipeline;
    }));
    const here = inProcess(pipeline);
    for (;;) {
      const message = await channel.receive();
      if (message === undefined || message.type === "exit") break;
      if (message.type !== "run") continue;
      const { id } = message;
      const invocation = decodeStepInvocation(message.invocation);
      if (!invocation || invocation.address === null) {
        await channel.send({ type: "refused", id, reason: "the invocation has no step address" });
        continue;
      }
      const unloadable = await importOnce(message.module);
      const reason = unloadable ?? await runtime.runPromise(refusal(invocation, pipeline));
      if (reason !== undefined) {
        await channel.send({ type: "refused", id, reason });
        continue;
      }
      applyEnv(invocation);
      const exit = await runtime.runPromiseExit(here.execute(invocation));
      if (Exit.isSuccess(exit)) {
        await channel.send({ type: "done", id, result: exit.value });
      } else {
        await channel.send({
          type: "failed",
          id,
          error: encodePipelineError(failureOf(invocation, exit)),
        });
      }
    }
  } finally {
    await runtime.dispose();
    channel.close();
  }
};

if (import.meta.main) {
  const [socket, token] = Deno.args;
  if (!socket || !token) {
    console.error("usage: worker_main.ts <socket> <token> (started by cairn's worker pool)");
    Deno.exit(2);
  }
  await main(socket, token);
  Deno.exit(0);
}
