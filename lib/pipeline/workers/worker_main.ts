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
import * as Cause from "effect/Cause";
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import * as ManagedRuntime from "effect/ManagedRuntime";
import { toFileUrl } from "../../identity/paths.ts";
import { decodeStepInvocation, type StepInvocation } from "../../model/step_invocation.ts";
import { inProcess } from "../execute.ts";
import { PipelineError, pipelineError, StepFailed } from "../errors.ts";
import { Pipeline, type PipelineApi } from "../pipeline.ts";
import type { Progress } from "../progress.ts";
import { findStep } from "../registry.ts";
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

const modules = new Map<string, Promise<string | undefined>>();

// Imports a defining module once; the reason it cannot be, or undefined.
const load = (module: string): Promise<string | undefined> => {
  let loading = modules.get(module);
  if (!loading) {
    loading = import(toFileUrl(module)).then(
      () => undefined,
      (e) => `importing ${module} failed: ${e instanceof Error ? e.message : String(e)}`,
    );
    modules.set(module, loading);
  }
  return loading;
};

// The reason this process must not run the invocation, or undefined.
const refusal = async (
  invocation: StepInvocation,
  check: (effect: Effect.Effect<string | undefined>) => Promise<string | undefined>,
): Promise<string | undefined> => {
  const definition = findStep(invocation);
  if (!definition) {
    return `no step is declared at ${invocation.address} once its module is imported here`;
  }
  // A command is prepared here to compare its command line, sources and tools with the
  // keyed ones (the prepared body is kept for the run).
  if (definition.prepare) {
    return definition.check ? await check(definition.check(invocation, pipelineOf())) : undefined;
  }
  if (!definition.keyFor) return `the step at ${invocation.address} cannot say its key here`;
  const here = definition.keyFor(invocation);
  return here.key === invocation.key ? undefined : `its key here differs (${here.difference})`;
};

// This worker's interpreter, once set up.
let current: PipelineApi | undefined;
const pipelineOf = (): PipelineApi => current!;

// The declared environment variables as the pipeline process had them when it keyed
// the invocation.
const applyEnv = (invocation: StepInvocation): void => {
  const env = invocation.components.env;
  if (typeof env !== "object" || env === null) return;
  for (const [name, value] of Object.entries(env as Record<string, unknown>)) {
    if (typeof value === "string") Deno.env.set(name, value);
    else Deno.env.delete(name);
  }
};

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
    current = pipeline;
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
      const unloadable = await load(message.module);
      const reason = unloadable ??
        await refusal(invocation, (effect) => runtime.runPromise(effect));
      if (reason !== undefined) {
        await channel.send({ type: "refused", id, reason });
        continue;
      }
      applyEnv(invocation);
      const exit = await runtime.runPromiseExit(here.execute(invocation));
      if (Exit.isSuccess(exit)) {
        await channel.send({ type: "done", id, result: exit.value });
      } else {
        const error = Exit.findErrorOption(exit);
        await channel.send({
          type: "failed",
          id,
          error: encodePipelineError(
            error._tag === "Some" && error.value instanceof PipelineError
              ? error.value
              : defect(invocation, exit),
          ),
        });
      }
    }
  } finally {
    await runtime.dispose();
    channel.close();
  }
};

// What escaped the step other than a pipeline error (a defect): reported as its failure.
const defect = (invocation: StepInvocation, exit: Exit.Exit<unknown, unknown>): PipelineError =>
  pipelineError(
    new StepFailed({
      step: invocation.step,
      iteration: invocation.iteration,
      scenario: invocation.scenario,
      cause: new Error(
        Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "the step ended without a result",
      ),
    }),
  );

if (import.meta.main) {
  const [socket, token] = Deno.args;
  if (!socket || !token) {
    console.error("usage: worker_main.ts <socket> <token> (started by cairn's worker pool)");
    Deno.exit(2);
  }
  await main(socket, token);
  Deno.exit(0);
}
