// A pipeline that finds gc.lock held by another process (a gc) waits for it without
// blocking its event loop: Ctrl-C stops it at once, and when the lock is released it
// goes on. A holder process takes the lock exclusively, as gc does.
import assert from "node:assert/strict";
import { withProject } from "./_project.ts";

const PIPELINE = {
  "pipeline.ts": `import { Effect } from "effect";
import { Json, run, scenario, step } from "cairn";

const one = step({ name: "one", outputs: { y: Json }, env: ["N"], run: () => ({ y: 1 }) });

if (import.meta.main) await run(scenario("mutation", {}, Effect.asVoid(one({}))));
`,
};

// Holds gc.lock exclusively until killed; prints "held" once it has it.
const holder = (store: string) =>
  new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `const f = Deno.openSync(${
        JSON.stringify(`${store}/gc.lock`)
      }, { read: true, write: true, create: true });
       f.lockSync(true); console.log("held"); setTimeout(() => {}, 60_000);`,
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();

const firstLine = async (child: Deno.ChildProcess): Promise<string> => {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  return value ?? "";
};

Deno.test("a pipeline waiting for gc.lock stops on Ctrl-C within seconds, though it cannot record the scenario", async () => {
  await withProject(PIPELINE, async (p) => {
    await p.run({ env: { N: "0" } }); // creates the store
    const hold = holder(p.store);
    try {
      assert.equal((await firstLine(hold)).trim(), "held");
      const child = p.spawn({ env: { N: "1" } });
      await new Promise((r) => setTimeout(r, 1500));
      const started = performance.now();
      child.kill("SIGINT");
      const out = await child.output();
      const waited = performance.now() - started;
      const stderr = new TextDecoder().decode(out.stderr);
      // It waits 3 s for the lock to write its record as interrupted, then gives up.
      assert.ok(waited < 6000, `stopped ${Math.round(waited)} ms after Ctrl-C:\n${stderr}`);
      assert.equal(out.code, 130, stderr);
      assert.match(stderr, /could not record scenario mutation: .*gc in another process/);
      assert.match(stderr, /error: interrupted/);
    } finally {
      hold.kill("SIGKILL");
      await hold.status;
    }
    const after = await p.run({ env: { N: "1" } });
    assert.deepEqual(after.steps, { one: "miss" });
  });
});

Deno.test("a pipeline waiting for gc.lock goes on when the lock is released", async () => {
  await withProject(PIPELINE, async (p) => {
    await p.run({ env: { N: "0" } });
    const hold = holder(p.store);
    assert.equal((await firstLine(hold)).trim(), "held");
    const child = p.spawn({ env: { N: "2" } });
    await new Promise((r) => setTimeout(r, 1000));
    hold.kill("SIGKILL");
    await hold.status;
    const out = await child.output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  });
});
