// Child process of disk_full_test.ts, run inside a private mount namespace where
// <mnt> is a small tmpfs of its own: what cairn does when the file system fills up.
// Prints one JSON line of findings for the parent to judge.
//
// Usage: disk_full_checks.ts <mnt>
//
// 1. ref: with exactly one page free, a ref update gets its lock and appends its
//    reflog line, then cannot write the new value. The ref must keep its old value
//    and the reflog must hold no entry for the update that did not happen.
// 2. pipeline: a scenario whose record cannot be written must exit non-zero with a
//    clear message; run again with space, its steps are hits.
// 3. gc: on a full disk, gc must still run and free the garbage (its index rewrite
//    needs space it first has to free).
import { fileURLToPath } from "node:url";
import { fsck } from "../../../store/fsck.ts";
import { putBytes } from "../../../store/objects.ts";
import { openStoreContext } from "../../../store/object_store.ts";
import { readRef, readReflog, updateRef } from "../../../store/refs.ts";
import { listObjects } from "../../../store/_walk.ts";
import { runDemo } from "../../cli/_fixture.ts";
import { args, emit } from "../../store/_fixtures/child_io.ts";
import { fillUp, freePages } from "./_fill.ts";

const [mnt] = args("mnt");
const PROJECT = fileURLToPath(new URL("../../../", import.meta.url));
const decode = (b: Uint8Array) => new TextDecoder().decode(b);
const findings: Record<string, unknown> = {};
const enc = new TextEncoder();

const deno = (args: string[]) => {
  const out = new Deno.Command(Deno.execPath(), {
    args,
    cwd: PROJECT,
    env: { NO_COLOR: "1", CAIRN_PROGRESS: "0" },
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
};

// 1. A ref update that runs out of space after its reflog line.
{
  const root = `${mnt}/ref-store`;
  const filler = `${mnt}/filler-1`;
  const ctx = openStoreContext(root);
  const a = putBytes(ctx, "blob", enc.encode("a\n")).id;
  const b = putBytes(ctx, "blob", enc.encode("b\n")).id;
  ctx.session.close();
  updateRef(ctx.layout, "scenarios/r", a, { message: "first" });
  fillUp(filler);
  freePages(filler, 1);
  let failure: string | undefined;
  try {
    updateRef(ctx.layout, "scenarios/r", b, { message: "second", expected: a });
  } catch (e) {
    failure = String(e);
  }
  findings.ref = {
    failure,
    value: readRef(ctx.layout, "scenarios/r") === a ? "old" : "other",
    reflog: readReflog(ctx.layout, "scenarios/r").map((e) => e.message),
    lockLeft: [...Deno.readDirSync(`${root}/refs/scenarios`)].some((e) => e.name.endsWith(".lock")),
  };
  Deno.removeSync(filler);
  updateRef(ctx.layout, "scenarios/r", b, { message: "third", expected: a });
  (findings.ref as Record<string, unknown>).after = readReflog(ctx.layout, "scenarios/r").map((e) =>
    e.message
  );
}

// 2. A pipeline whose scenario record cannot be written.
{
  const root = `${mnt}/pipeline-store`;
  const filler = `${mnt}/filler-2`;
  const script = "tests/reliability/_fixtures/full_disk_pipeline.ts";
  const full = deno(["run", "-A", "--config", "deno.json", script, root, filler, "fill"]);
  Deno.removeSync(filler);
  const again = deno(["run", "-A", "--config", "deno.json", script, root, filler, "nofill"]);
  findings.pipeline = {
    code: full.code,
    stderr: full.stderr,
    againCode: again.code,
    againStderr: again.stderr,
    againStdout: again.stdout,
  };
}

// 3. gc on a full disk, with garbage whose runs have index entries.
{
  const root = `${mnt}/gc-store`;
  const filler = `${mnt}/filler-3`;
  await runDemo(root, { rate: 1.1, n: 2 });
  const kept = await runDemo(root, { rate: 1.2, n: 2, name: "kept" });
  const ctx = openStoreContext(root, { create: false });
  updateRef(ctx.layout, "scenarios/demo", null, { message: "dropped" });
  Deno.removeSync(`${root}/logs/scenarios/demo`);
  const before = listObjects(ctx).ids.length;
  ctx.session.close();
  fillUp(filler);
  const cli = fileURLToPath(new URL("../../../cli/launch.ts", import.meta.url));
  const gc = deno([
    "run",
    "-A",
    "--no-config",
    cli,
    "gc",
    "--grace",
    "0s",
    "--json",
    "--store",
    root,
  ]);
  const after = openStoreContext(root, { create: false });
  findings.gc = {
    code: gc.code,
    stderr: gc.stderr,
    report: gc.code === 0 ? JSON.parse(gc.stdout) : undefined,
    before,
    after: listObjects(after).ids.length,
    keptRef: readRef(after.layout, "scenarios/kept") === kept.record,
    problems: fsck(after).problems,
  };
  after.session.close();
  Deno.removeSync(filler);
}

emit(findings);
