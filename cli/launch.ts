/**
 * What `deno task cairn` and `deno task lineage` run: the CLI from a bundle of
 * `cli/main.ts` (see `_bundle.ts`), built on the first run after a source change;
 * the sources themselves when no bundle can be built. Same arguments, output and
 * exit codes as `deno run -A cli/main.ts`.
 *
 * @module
 */
import { ensureBundle } from "./_bundle.ts";

const root = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");
const bundle = ensureBundle(root);

// effect probes `globalThis.process` when it loads, to pick up Node's
// AsyncResource; under Deno that probe boots the Node compatibility layer
// (~30 ms) for a feature cairn does not use. The global is hidden only while
// the CLI's modules load, and restored before any command runs.
const processGlobal = Object.getOwnPropertyDescriptor(globalThis, "process");
if (processGlobal?.configurable) {
  Object.defineProperty(globalThis, "process", { value: undefined, configurable: true });
}
const cli: { main: () => void } = bundle === undefined
  ? await import("./main.ts")
  : await import(new URL(`file://${bundle}`).href);
if (processGlobal?.configurable) Object.defineProperty(globalThis, "process", processGlobal);

cli.main();
