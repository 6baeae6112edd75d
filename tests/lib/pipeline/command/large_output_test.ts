// A command's large outputs stream: a ≥ 1 GiB output file is hashed and moved into the
// store, staged as the next command's input, and a stdout of tens of MiB is captured
// through a file — with the pipeline's memory bounded (its peak RSS far below the data).
// `CAIRN_TEST_BIG_MIB` sets the file's size (default 1024: 1 GiB).
import assert from "node:assert/strict";
import { PATH } from "./_model.ts";
import { withProject } from "../_project.ts";

const MIB = Number(Deno.env.get("CAIRN_TEST_BIG_MIB") ?? 1024);
const STDOUT_MIB = 32;

const PIPELINE = `import { Effect } from "effect";
import { command, File, run, scenario, Text } from "cairn";

const produce = command({
  name: "produce",
  outputs: { big: File },
  config: { mib: ${MIB}, stdoutMib: ${STDOUT_MIB} },
  tools: ["sh"],
  argv: ({ outputs, config }) => [
    "sh", "-c", 'head -c "$1"M /dev/zero > "$3" && head -c "$2"M /dev/zero | tr "\\\\0" "x"',
    "sh", String(config.mib), String(config.stdoutMib), outputs.big,
  ],
});

const count = command({
  name: "count",
  inputs: { big: File },
  outputs: { bytes: Text },
  tools: ["sh"],
  argv: ({ inputs, outputs }) => ["sh", "-c", 'wc -c < "$1" > "$2"', "sh", inputs.big, outputs.bytes],
});

const program = scenario("mutation", {}, Effect.gen(function* () {
  const { big } = yield* produce({});
  yield* count({ big });
}));

if (import.meta.main) {
  await run(program);
  const hwm = /VmHWM:\\s+(\\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"))![1];
  console.log(JSON.stringify({ peakKiB: Number(hwm) }));
}
`;

Deno.test(`a ${MIB} MiB output file and a ${STDOUT_MIB} MiB stdout stream through a command with bounded memory`, async () => {
  await withProject({ "pipeline.ts": PIPELINE }, async (p) => {
    const t0 = performance.now();
    // CAIRN_DEBUG off: the program's 32 MiB of stdout is one line, echoed once.
    const out = await p.run({ env: { PATH, CAIRN_DEBUG: "" } });
    const seconds = (performance.now() - t0) / 1000;
    assert.deepEqual(out.steps, { produce: "miss", count: "miss" });
    const produced = p.runRecord(out, "produce");
    const big = (produced.outputs as Record<string, { size: number }>).big!;
    assert.equal(big.size, MIB * 1024 * 1024);
    assert.equal(p.output(out, "count", "bytes").trim(), String(MIB * 1024 * 1024));
    const logs = produced.logs as { stdout: string };
    const stdoutSize =
      Deno.statSync(`${p.store}/objects/${logs.stdout.slice(0, 2)}/${logs.stdout.slice(2)}`).size;
    assert.equal(stdoutSize, STDOUT_MIB * 1024 * 1024);
    const { peakKiB } = JSON.parse(out.stdout.trim().split("\n").at(-1)!);
    const peakMiB = peakKiB / 1024;
    console.log(
      `note: ${MIB} MiB output + ${STDOUT_MIB} MiB stdout in ${seconds.toFixed(1)} s, peak RSS ${
        peakMiB.toFixed(0)
      } MiB`,
    );
    assert.ok(
      peakMiB < 400,
      `peak RSS ${peakMiB.toFixed(0)} MiB: memory must not grow with the data`,
    );
    const again = await p.run({ env: { PATH, CAIRN_DEBUG: "" } });
    assert.deepEqual(again.steps, { produce: "hit", count: "hit" });
  });
});
