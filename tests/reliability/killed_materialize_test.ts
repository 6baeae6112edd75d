// A materialize killed half-way leaves its staging directory (`.cairn-materialize-…`)
// beside the destination, outside the store, where no gc looks. The next
// materialize into the same directory removes those of processes that are gone —
// and leaves those of live ones alone.
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { materialize } from "../../store/materialize.ts";
import { openStoreContext } from "../../store/object_store.ts";
import { putBytes } from "../../store/objects.ts";
import { encodeTree } from "../../store/tree.ts";
import { killAll, spawnFixture } from "./_pipeline_child.ts";

const staging = (dir: string) =>
  [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.startsWith(".cairn-materialize"));

Deno.test("the next materialize removes a killed materialize's staging directory, not a live one's", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-killed-mat-" });
  const out = `${dir}/out`;
  Deno.mkdirSync(out);
  try {
    const ctx = openStoreContext(`${dir}/store`);
    const blob = putBytes(ctx, "blob", new TextEncoder().encode("a chunk\n")).id;
    const entries = Array.from({ length: 20_000 }, (_, i) => ({
      name: `c${String(i).padStart(6, "0")}`,
      mode: "file" as const,
      id: blob,
    }));
    const tree = putBytes(ctx, "tree", encodeTree(entries)).id;
    const small = putBytes(ctx, "tree", encodeTree(entries.slice(0, 3))).id;

    const child = spawnFixture("slow_materialize.ts", [`${dir}/store`, tree, `${out}/big`]);
    if (!(await child.started)) assert.fail((await child.finished).stderr);
    for (let i = 0; i < 2000 && staging(out).length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    child.kill();
    const end = await child.finished;
    assert.equal(end.status.signal, "SIGKILL", "the child was killed before it finished");
    const left = staging(out);
    assert.equal(left.length, 1, "the killed materialize left its staging directory");

    // A live process's staging directory (this one's) must stay.
    const live = `${out}/.cairn-materialize-${hostname()}-m-${Deno.pid}-live00-0`;
    Deno.mkdirSync(live);
    materialize(ctx, small, `${out}/small`);
    assert.deepEqual(staging(out), [live.slice(out.length + 1)], "what is left beside it");
    assert.equal([...Deno.readDirSync(`${out}/small`)].length, 3);
    ctx.session.close();
    console.log(`killed-materialize suite: 1 killed, ${left.length} staging directory removed`);
  } finally {
    await killAll();
    Deno.removeSync(dir, { recursive: true });
  }
});
