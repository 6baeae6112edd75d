/**
 * The steps this process has declared, by address and by a handle of this process.
 * Modules register their steps as they are evaluated, so a process that imports the
 * same module (a worker) finds the same step by its address.
 *
 * @module
 */
import type { Codec, InputSpec } from "./codecs/codec.ts";
import type { StepContext } from "./step_context.ts";

/** Everything needed to run a step, as its declaration gave it. */
export interface StepDefinition {
  readonly name: string;
  /** `module.ts#binding`, or null for a step made at run time. */
  readonly address: string | null;
  readonly run: (inputs: Record<string, unknown>, config: unknown, ctx: StepContext) => unknown;
  readonly config: unknown;
  readonly inputSpecs: Readonly<Record<string, InputSpec>>;
  readonly outputSpecs: Readonly<Record<string, Codec>>;
  readonly iterationInvariant: boolean;
  /** The files its code identity was computed from. */
  readonly sources: readonly string[];
}

const byLocal = new Map<string, StepDefinition>();
const byAddress = new Map<string, StepDefinition>();
let counter = 0;
// Handles carry this process's own token: one sent to another process (inside an
// invocation) names nothing there, so it can never pick out another step of that
// process, which numbers its declarations from 0 as this one does.
const PROCESS = crypto.randomUUID();

/** Registers a declaration; returns its handle in this process. */
export const registerStep = (definition: StepDefinition): string => {
  const local = `local:${PROCESS}:${counter++}`;
  byLocal.set(local, definition);
  // The first declaration at an address wins: a module is evaluated once per process.
  if (definition.address !== null && !byAddress.has(definition.address)) {
    byAddress.set(definition.address, definition);
  }
  return local;
};

/** The declaration an invocation names: by this process's handle, else by address. */
export const findStep = (
  invocation: { readonly local: string; readonly address: string | null },
): StepDefinition | undefined =>
  byLocal.get(invocation.local) ??
    (invocation.address === null ? undefined : byAddress.get(invocation.address));
