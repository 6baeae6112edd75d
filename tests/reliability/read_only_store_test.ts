// Bad input, family "read-only store": a store the process cannot write. Writes
// must fail with a typed error that says to check the file system (not a crash),
// reads must keep working, and nothing may change.
//
// How the store is made read-only depends on who runs the tests:
// - not root: chmod a-w (root ignores modes, so this proves nothing for root);
// - root: `chattr +i` (immutable: EPERM even for root), in-process;
// - root with `unshare`: a real read-only bind mount in a private mount
//   namespace (EROFS), the checks running as a subprocess inside it.
// A way that is not available here is skipped with a printed note.
import assert from "node:assert/strict";
import { fromFileUrl } from "../../lib/identity/paths.ts";
import {
  assertSameTree,
  makeSandbox,
  removeSandbox,
  type Sandbox,
  snapshot,
  Tally,
} from "./_bad_inputs.ts";
import { type Outcome, prepare, readOnlyChecks } from "./_read_only_checks.ts";

Deno.env.set("CAIRN_PROGRESS", "0");

const SCRIPT = fromFileUrl(new URL("./_read_only_checks.ts", import.meta.url).href);
const isRoot = Deno.uid() === 0;
const tally = new Tally("read_only_store_test");

const run = (cmd: string, args: string[]): { code: number; stderr: string } => {
  try {
    const out = new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).outputSync();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  } catch (e) {
    return { code: -1, stderr: String(e) };
  }
};

const assertOutcomes = (outcomes: readonly Outcome[], how: string): void => {
  assert.ok(outcomes.length >= 10, `${how}: only ${outcomes.length} outcomes`);
  for (const o of outcomes) {
    const context = `${how}: ${o.op}`;
    assert.equal(o.defect, undefined, `${context} crashed:\n${o.defect}`);
    if (o.expect === "ok") {
      assert.ok(o.ok, `${context} should still work on a read-only store: ${o.message}`);
    } else {
      assert.ok(!o.ok, `${context} succeeded on a read-only store`);
      assert.ok(o.tag === "StoreError" || o.tag === "PipelineError", `${context}: ${o.tag}`);
      assert.equal(o.reason, "IoFailure", `${context}: ${o.message}`);
      assert.match(o.message!, /^Cannot [a-z]/, context);
      assert.match(
        o.message!,
        /; check that the store is on a writable file system and that you own it$/,
        `${context}: no fix in ${o.message}`,
      );
    }
    tally.add(`read-only (${how}): ${o.expect === "ok" ? "read works" : "write refused"}`);
  }
};

const prepared = async (): Promise<{ box: Sandbox; blob: string }> => {
  const box = makeSandbox("read-only");
  const { blob } = await prepare(box.store);
  return { box, blob };
};

Deno.test({
  name:
    "a store the process may not write (chmod a-w): writes fail with a typed IoFailure, reads work",
  ignore: isRoot,
  fn: async () => {
    const { box, blob } = await prepared();
    try {
      run("chmod", ["-R", "a-w", box.store, box.destParent]);
      const before = snapshot(box.root);
      assertOutcomes(await readOnlyChecks(box.store, box.destParent, { blob }), "chmod");
      assertSameTree(before, snapshot(box.root), "chmod");
    } finally {
      removeSandbox(box);
    }
  },
});

Deno.test("an immutable store (chattr +i, which stops root too): writes fail with a typed IoFailure, reads work", async () => {
  const { box, blob } = await prepared();
  let immutable = false;
  try {
    if (!isRoot || run("chattr", ["-R", "+i", box.store, box.destParent]).code !== 0) {
      console.log("note: chattr +i is not available here (needs root on ext4/xfs/btrfs); skipped");
      return;
    }
    immutable = true;
    const before = snapshot(box.root);
    assertOutcomes(await readOnlyChecks(box.store, box.destParent, { blob }), "chattr");
    assertSameTree(before, snapshot(box.root), "chattr");
  } finally {
    if (immutable) run("chattr", ["-R", "-i", box.store, box.destParent]);
    removeSandbox(box);
  }
});

Deno.test("a store on a read-only mount (EROFS, private mount namespace): writes fail with a typed IoFailure, reads work", async () => {
  const { box, blob } = await prepared();
  try {
    const probe = run("unshare", ["-m", "true"]);
    if (!isRoot || probe.code !== 0) {
      console.log(
        `note: unshare -m is not available here (${probe.stderr.trim() || "not root"}); skipped`,
      );
      return;
    }
    const before = snapshot(box.root);
    // The bind mount exists only inside the new namespace and ends with it.
    const script =
      'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && exec "$2" run -A "$3" "$4" "$5" "$6"';
    const out = await new Deno.Command("unshare", {
      args: [
        "-m",
        "--propagation",
        "private",
        "sh",
        "-c",
        script,
        "sh",
        box.root,
        Deno.execPath(),
        SCRIPT,
        box.store,
        box.destParent,
        blob,
      ],
      env: { NO_COLOR: "1", CAIRN_PROGRESS: "0" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, `probe exited ${out.code}: ${new TextDecoder().decode(out.stderr)}`);
    const outcomes = JSON.parse(stdout.trim().split("\n").pop()!) as Outcome[];
    assertOutcomes(outcomes, "EROFS");
    assert.ok(
      outcomes.some((o) => /Read-only file system/.test(o.message ?? "")),
      "the failures come from a read-only file system",
    );
    assertSameTree(before, snapshot(box.root), "EROFS");
  } finally {
    removeSandbox(box);
  }
});

Deno.test("read_only_store_test: seed and case counts", () => {
  tally.print();
});
