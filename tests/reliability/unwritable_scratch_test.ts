// A Dir output with a read-only subdirectory, for a user who is not root. The
// step's scratch directory then holds entries its owner cannot unlink: the ingest
// failed with a misleading error (check that the store "is on a writable file
// system"), and the leftover tmp/run-* made every later gc exit 1 (Permission
// denied). Scratch directories are made removable (u+w on the way down) first.
//
// The children run in a user namespace with no uid mapping (`unshare --user`): the
// process keeps its files, but root's override of permissions is gone — what a
// user who is not root meets. Where that is not possible the suite is skipped
// with the reason printed (a failure under CI=true).
import assert from "node:assert/strict";
import { openStoreContext } from "../../store/object_store.ts";
import { readVerified } from "../../store/objects.ts";
import { decodeTree } from "../../store/tree_decoder.ts";
import { CLI } from "../cli/_fixture.ts";
import { spawnFixture } from "./_pipeline_child.ts";

const figures = { cases: 0, leftovers: 0, gcFailures: 0 };

// `unshare --user` as the wrapper, if it gives a process without root's override here.
const asUser = (): readonly string[] | undefined => {
  const probe = Deno.makeTempDirSync();
  try {
    Deno.mkdirSync(`${probe}/d`);
    Deno.writeTextFileSync(`${probe}/d/f`, "");
    Deno.chmodSync(`${probe}/d`, 0o555);
    const out = new Deno.Command("unshare", {
      args: ["--user", "sh", "-c", 'rm -f "$1/d/f" 2>/dev/null; test -e "$1/d/f"', "sh", probe],
    }).outputSync();
    if (out.code === 0) return ["unshare", "--user"];
    const why = "unshare --user could not give a process without root's override of permissions";
    if (Deno.env.get("CI") === "true") throw new Error(`Cannot run the suite under CI: ${why}`);
    console.log(`note: the unwritable-scratch suite skipped: ${why}`);
    return undefined;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    const why = "unshare is not installed";
    if (Deno.env.get("CI") === "true") throw new Error(`Cannot run the suite under CI: ${why}`);
    console.log(`note: the unwritable-scratch suite skipped: ${why}`);
    return undefined;
  } finally {
    Deno.chmodSync(`${probe}/d`, 0o755);
    Deno.removeSync(probe, { recursive: true });
  }
};

const leftovers = (root: string): string[] =>
  [...Deno.readDirSync(`${root}/tmp`)].map((e) => e.name).filter((n) => n.startsWith("run-"));

const gcAsUser = async (wrapper: readonly string[], root: string) => {
  const out = await new Deno.Command(wrapper[0]!, {
    args: [
      ...wrapper.slice(1),
      Deno.execPath(),
      "run",
      "-A",
      "--no-config",
      CLI,
      "gc",
      "--grace",
      "0s",
      "--store",
      root,
    ],
    env: { NO_COLOR: "1", CAIRN_PROGRESS: "0" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
};

// The test removes what a failed case left, as root.
const cleanUp = (dir: string) => {
  new Deno.Command("chmod", { args: ["-R", "u+w", dir] }).outputSync();
  Deno.removeSync(dir, { recursive: true });
};

Deno.test("a Dir output with a read-only subdirectory is stored, and its scratch directory goes (not root)", async () => {
  const wrapper = asUser();
  if (!wrapper) return;
  const dir = Deno.makeTempDirSync({ prefix: "cairn-locked-" });
  const root = `${dir}/store`;
  try {
    const child = spawnFixture<{ tree: string }>(
      "locked_dir_pipeline.ts",
      [root, "ok"],
      {},
      wrapper,
    );
    const end = await child.finished;
    figures.cases++;
    assert.equal(end.status.code, 0, `the pipeline failed:\n${end.stderr}`);
    const ctx = openStoreContext(root, { create: false });
    try {
      const top = decodeTree(readVerified(ctx, end.result!.tree, "tree"));
      assert.deepEqual(top.map((e) => e.name), ["locked", "readme.txt"]);
      const inner = decodeTree(readVerified(ctx, top[0]!.id, "tree"));
      assert.deepEqual(inner.map((e) => e.name), ["data.csv", "deeper"]);
    } finally {
      ctx.session.close();
    }
    figures.leftovers += leftovers(root).length;
    assert.deepEqual(leftovers(root), [], "scratch directories left in tmp/");
    const gc = await gcAsUser(wrapper, root);
    if (gc.code !== 0) figures.gcFailures++;
    assert.equal(gc.code, 0, gc.stderr);
  } finally {
    cleanUp(dir);
  }
});

Deno.test("a failed step's read-only leftovers: the step's own error is reported, and gc removes them (not root)", async () => {
  const wrapper = asUser();
  if (!wrapper) return;
  const dir = Deno.makeTempDirSync({ prefix: "cairn-locked-" });
  const root = `${dir}/store`;
  try {
    const child = spawnFixture("locked_dir_pipeline.ts", [root, "fail"], {}, wrapper);
    const end = await child.finished;
    figures.cases++;
    assert.equal(end.status.code, 1);
    assert.match(
      end.stderr,
      /Step "locked_output" failed in scenario "locked": the model diverged/,
    );
    // Whether the run's own clean-up or gc removes the scratch directory, gc must run.
    const gc = await gcAsUser(wrapper, root);
    if (gc.code !== 0) figures.gcFailures++;
    assert.equal(gc.code, 0, `gc failed:\n${gc.stderr}`);
    figures.leftovers += leftovers(root).length;
    assert.deepEqual(leftovers(root), [], "scratch directories left in tmp/ after gc");
  } finally {
    cleanUp(dir);
  }
});

Deno.test("gc (not root) removes a killed run's scratch directory holding a read-only subdirectory", async () => {
  const wrapper = asUser();
  if (!wrapper) return;
  const dir = Deno.makeTempDirSync({ prefix: "cairn-locked-" });
  const root = `${dir}/store`;
  try {
    openStoreContext(root).session.close();
    // What a run killed mid-step leaves: its scratch directory, owned by the user.
    const scratch = `${root}/tmp/run-999999-killed-0`;
    Deno.mkdirSync(`${scratch}/out/d/locked`, { recursive: true });
    Deno.writeTextFileSync(`${scratch}/out/d/locked/part.bin`, "half-written");
    Deno.chmodSync(`${scratch}/out/d/locked`, 0o555);
    const old = new Date(Date.now() - 3_600_000);
    Deno.utimeSync(scratch, old, old);
    figures.cases++;
    const gc = await gcAsUser(wrapper, root);
    if (gc.code !== 0) figures.gcFailures++;
    assert.equal(gc.code, 0, `gc failed:\n${gc.stderr}`);
    figures.leftovers += leftovers(root).length;
    assert.deepEqual(leftovers(root), []);
    const again = await gcAsUser(wrapper, root);
    assert.equal(again.code, 0, again.stderr);
  } finally {
    cleanUp(dir);
  }
});

Deno.test("unwritable_scratch_test: figures", () => {
  console.log(
    `unwritable-scratch suite: ${figures.cases} cases as a user who is not root: ` +
      `${figures.leftovers} scratch directories left, ${figures.gcFailures} gc failures`,
  );
});
