// Ctrl-C (SIGINT) and SIGTERM stop a pipeline while a command runs: the program's whole
// process group goes — the grandchild it started too, checked by pid — the scenario is
// recorded as interrupted, and nothing of the run is cached.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { PATH } from "./_model.ts";
import { withProject } from "../_project.ts";
import { sandboxTest } from "../../../_sandbox.ts";

const PIPELINE = `import { Effect } from "effect";
import { command, run, scenario, Text } from "cairn";

const model = command({
  name: "model",
  outputs: { result: Text },
  config: { mark: Number(Deno.env.get("MARK")) },
  sources: ["model.sh"],
  tools: ["sh"],
  argv: ({ outputs, config }) => ["sh", "model.sh", String(config.mark), outputs.result],
});

if (import.meta.main) await run(scenario("mutation", {}, model({})));
`;

// Starts a grandchild that would sleep for days, says so, and waits for it.
const MODEL = `sleep "$1" &
echo "grandchild started"
wait
echo done > "$2"
`;

const decoder = new TextDecoder();

// The pids of the processes whose command line holds `mark` (the program, its
// grandchild, and bubblewrap around them), as the host's /proc shows them.
const processesWith = (mark: string): number[] => {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const args = decoder.decode(Deno.readFileSync(`/proc/${entry.name}/cmdline`)).split("\0");
      if (args.includes(mark) && !args.some((a) => a.includes("deno"))) {
        pids.push(Number(entry.name));
      }
    } catch {
      // gone meanwhile
    }
  }
  return pids;
};

// Gone, or a zombie nobody reaps yet (it runs nothing).
const alive = (pid: number): boolean => {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
};

for (const [where, sandbox] of [["host", "0"], ["sandbox", "1"]] as const) {
  for (const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130]] as const) {
    (where === "sandbox" ? sandboxTest : Deno.test)(
      `${signal} while a command runs (${where}): its process group ends, the grandchild too; nothing is cached`,
      async () => {
        await withProject({ "pipeline.ts": PIPELINE, "model.sh": MODEL }, async (p) => {
          const mark = String(100_000 + Math.floor(Math.random() * 800_000));
          const child = p.spawn({ env: { PATH, MARK: mark, CAIRN_SANDBOX: sandbox } });
          const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
          let seen = "";
          while (!seen.includes("grandchild started\n")) {
            const { value, done } = await reader.read();
            if (done) throw new Error(`the pipeline ended before its program started: ${seen}`);
            seen += value;
          }
          const pids = processesWith(mark);
          assert.ok(pids.length >= 2, `the program and its grandchild run: ${pids}`);
          child.kill(signal);
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            seen += value;
          }
          const status = await child.status;
          child.stdout.cancel();
          assert.equal(status.code, code, seen);
          assert.match(seen, /interrupted; completed steps are cached/);
          assert.deepEqual(pids.filter(alive), [], "no process of the command outlives it");
          assert.deepEqual(processesWith(mark).filter(alive), []);
          // The scenario was recorded as interrupted, and no run of the command is.
          const head = Deno.readTextFileSync(`${p.store}/refs/scenarios/mutation`).trim();
          const record = p.readRecord(head);
          assert.equal(record.status, "interrupted");
          assert.deepEqual(record.invocations, []);
          const cache = existsSync(`${p.store}/index/cache.log`)
            ? Deno.readTextFileSync(`${p.store}/index/cache.log`).trim()
            : "";
          assert.equal(cache, "", "nothing was cached");
        });
      },
    );
  }
}
