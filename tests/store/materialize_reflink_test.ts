// materialize() copies by the kernel's copy, which clones extents (a reflink) on file
// systems that have them. Checked on a real XFS file system (reflink=1) made in a file
// and loop-mounted for the test: the copy's extents must be shared with the object's.
// Needs root, loop devices and xfsprogs; elsewhere it says what is missing and skips —
// except under CI=true, where it fails.
import assert from "node:assert/strict";
import { materialize } from "../../store/materialize.ts";
import { openStoreContext } from "../../store/object_store.ts";
import { putBytes } from "../../store/objects.ts";

const sh = (cmd: string, args: readonly string[]) => {
  try {
    const out = new Deno.Command(cmd, { args: [...args], stdout: "piped", stderr: "piped" })
      .outputSync();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    return { ok: out.success, text };
  } catch (e) {
    return { ok: false, text: e instanceof Error ? e.message : String(e) };
  }
};

// A loop-mounted XFS with reflinks, or why there is none here.
const mountXfs = (): { dir: string; unmount: () => void } | string => {
  if (Deno.uid() !== 0) return "not root";
  const base = Deno.makeTempDirSync({ prefix: "cairn-xfs-" });
  const image = `${base}/fs.img`;
  const dir = `${base}/mnt`;
  Deno.mkdirSync(dir);
  const gone = () => Deno.removeSync(base, { recursive: true });
  const made = sh("truncate", ["-s", "320M", image]);
  const mkfs = made.ok ? sh("mkfs.xfs", ["-q", "-m", "reflink=1", image]) : made;
  if (!mkfs.ok) return gone(), `mkfs.xfs failed (install xfsprogs): ${mkfs.text.trim()}`;
  const mount = sh("mount", ["-o", "loop", image, dir]);
  if (!mount.ok) return gone(), `cannot loop-mount: ${mount.text.trim()}`;
  return {
    dir,
    unmount: () => {
      sh("umount", [dir]);
      gone();
    },
  };
};

Deno.test("materialize() copies by reflink on a file system that has them: the copy shares the object's extents", () => {
  const fs = mountXfs();
  if (typeof fs === "string") {
    if (Deno.env.get("CI") === "true") throw new Error(`this test must run in CI: ${fs}`);
    console.log(`note: reflink test skipped: ${fs}`);
    return;
  }
  try {
    const ctx = openStoreContext(`${fs.dir}/store`);
    try {
      const payload = crypto.getRandomValues(new Uint8Array(65536)).map((b, i) => b ^ i);
      const big = new Uint8Array(16 << 20);
      for (let i = 0; i < big.length; i += payload.length) big.set(payload, i);
      const { id } = putBytes(ctx, "blob", big);
      const result = materialize(ctx, id, `${fs.dir}/copy.bin`);
      assert.equal(result.linked, 0, "a copy, not a hard link");
      assert.equal(Deno.statSync(`${fs.dir}/copy.bin`).nlink, 1);
      const extents = sh("filefrag", ["-v", `${fs.dir}/copy.bin`]);
      assert.ok(extents.ok, extents.text);
      assert.match(extents.text, /shared/, `the copy's extents are shared:\n${extents.text}`);
    } finally {
      ctx.session.close();
    }
  } finally {
    fs.unmount();
  }
});
