// A compaction killed in its last few syscalls — after it renamed its copy over
// the log, before it carried over what was appended since it read, and before it
// released its lock — must not lose an entry appended meanwhile. (Widened, that
// window lost 304 of 1,384 appended entries.) The appender's check must cover it:
// while the index's lock exists it waits for it to go, breaking it once its owner
// is gone, then sees which file the log now is.
//
// Forced, not hoped for: the compactor (_fixtures/half_compactor.ts) stops at each
// step until told to go on, and is killed right after its rename.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { AppendIndex } from "../../store/append_index.ts";
import { openStoreContext } from "../../store/object_store.ts";
import { type ScriptChild, spawnScript } from "../_child_process.ts";

const fixture = (name: string, args: readonly string[]): ScriptChild =>
  spawnScript(fileURLToPath(new URL(`./_fixtures/${name}`, import.meta.url)), args);

const next = async (child: ScriptChild): Promise<string | undefined> => {
  const line = await child.lines.next();
  return line.done ? undefined : line.value;
};

Deno.test("an entry appended while a compaction is killed after its rename is not lost", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-compact-kill-" });
  const root = `${dir}/store`;
  const children: ScriptChild[] = [];
  try {
    const ctx = openStoreContext(root);
    const index = new AppendIndex(ctx.layout, "cache");
    for (let i = 0; i < 100; i++) index.append(`key-${i}`, `value-${i}`);
    index.close();

    const compactor = fixture("half_compactor.ts", [root, "cache"]);
    children.push(compactor);
    assert.equal(await next(compactor), "read");
    // The appender writes to the log the compactor has read and not yet replaced.
    const appender = fixture("one_append.ts", [root, "cache", "late-key", "late-value"]);
    children.push(appender);
    const appended = next(appender);
    const early = await Promise.race([
      appended,
      new Promise((resolve) => setTimeout(() => resolve("still waiting"), 300)),
    ]);
    await compactor.send("go");
    assert.equal(await next(compactor), "renamed");
    compactor.process.kill("SIGKILL");
    await compactor.process.status;
    assert.equal(await appended, "appended");
    const status = await appender.process.status;
    assert.equal(status.code, 0, await appender.stderr);

    const check = new AppendIndex(ctx.layout, "cache");
    assert.deepEqual(check.getAll("late-key"), ["late-value"], "the entry appended meanwhile");
    assert.equal(check.get("key-99"), "value-99");
    check.close();
    ctx.session.close();
    console.log(
      `index-compaction-kill: the appender was ${early === "appended" ? "not " : ""}held`,
    );
  } finally {
    for (const child of children) {
      try {
        child.process.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await child.closeStdin();
      await child.process.status;
      await child.stderr;
      for await (const _ of child.lines) { /* drain */ }
    }
    Deno.removeSync(dir, { recursive: true });
  }
});
