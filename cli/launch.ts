/**
 * What `deno task cairn` and `deno task lineage` run: the CLI from a bundle of
 * `cli/main.ts` (see `_bundle.ts`), built on the first run after a source change.
 * Same arguments, output and exit codes as `deno run -A cli/main.ts`, which is
 * what runs when no bundle can be built.
 *
 * The tasks start this file with `--no-config`: the bundle is self-contained, and
 * with the project's config Deno would set up its npm resolution (node_modules,
 * the lock file) for the bundle's dynamic imports, which costs ~0.2 s per command.
 *
 * @module
 */
import { ensureBundle } from "./_bundle.ts";

const root = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");
// CAIRN_CLI_BUNDLE=0 runs the sources, for debugging the CLI with its real file names.
const bundle = Deno.env.get("CAIRN_CLI_BUNDLE") === "0" ? undefined : ensureBundle(root);

if (bundle === undefined) {
  // The sources need the project's import map: run them in a process of their own.
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", `${root}/cli/main.ts`, ...Deno.args],
    cwd: Deno.cwd(),
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  Deno.exit(code);
}

// effect probes `globalThis.process` when it loads, to pick up Node's
// AsyncResource; under Deno that probe boots the Node compatibility layer
// (~30 ms) for a feature cairn does not use. The global is hidden only while
// the CLI's modules load, and restored before any command runs.
const processGlobal = Object.getOwnPropertyDescriptor(globalThis, "process");
if (processGlobal?.configurable) {
  Object.defineProperty(globalThis, "process", { value: undefined, configurable: true });
}
const cli: { main: () => void } = await import(new URL(`file://${bundle}`).href);
if (processGlobal?.configurable) Object.defineProperty(globalThis, "process", processGlobal);

cli.main();
