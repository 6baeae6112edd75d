import assert from "node:assert/strict";
import { putDir } from "../../store/ingest_dir.ts";
import { objectPath } from "../../store/layout.ts";
import { materialize } from "../../store/materialize.ts";
import { putBytes } from "../../store/objects.ts";
import { encodeTree } from "../../store/tree.ts";
import { concat, reasonOf, withStore } from "./_helpers.ts";

const makeZarrLike = (root: string) => {
  Deno.mkdirSync(`${root}/skims/0`, { recursive: true });
  Deno.writeTextFileSync(`${root}/skims/.zarray`, '{"shape":[5,5]}');
  for (let i = 0; i < 20; i++) Deno.writeTextFileSync(`${root}/skims/0/${i}`, `chunk ${i}`);
  Deno.writeTextFileSync(`${root}/skims/run.sh`, "#!/bin/sh\n");
  Deno.chmodSync(`${root}/skims/run.sh`, 0o755);
};

const listing = (root: string, base = ""): string[] =>
  [...Deno.readDirSync(root)].flatMap((e) =>
    e.isDirectory ? listing(`${root}/${e.name}`, `${base}${e.name}/`) : [`${base}${e.name}`]
  ).sort();

Deno.test("putDir() then materialize() reproduces a directory tree with contents and modes", () =>
  withStore((ctx, dir) => {
    makeZarrLike(dir);
    const put = putDir(ctx, `${dir}/skims`, false);
    assert.equal(put.files, 22);
    const result = materialize(ctx, put.id, `${dir}/out`);
    assert.equal(result.kind, "tree");
    assert.deepEqual(listing(`${dir}/out`), listing(`${dir}/skims`));
    for (const name of listing(`${dir}/skims`)) {
      assert.equal(
        Deno.readTextFileSync(`${dir}/out/${name}`),
        Deno.readTextFileSync(`${dir}/skims/${name}`),
      );
    }
    assert.equal(Deno.statSync(`${dir}/out/run.sh`).mode! & 0o111, 0o111);
  }));

Deno.test("materialize() copies by default: writing to the copy leaves the object intact", () =>
  withStore((ctx, dir) => {
    makeZarrLike(dir);
    const { id } = putDir(ctx, `${dir}/skims`, false);
    const result = materialize(ctx, id, `${dir}/out`);
    assert.equal(result.linked, 0);
    assert.equal(result.files, 22);
    const blob = putBytes(ctx, "blob", new TextEncoder().encode("chunk 3")).id;
    const object = objectPath(ctx.layout, blob);
    assert.notEqual(Deno.statSync(`${dir}/out/0/3`).ino, Deno.statSync(object).ino);
    // As root (mode bits do not stop it) or after a chmod: the copy is the caller's own.
    Deno.chmodSync(`${dir}/out/0/3`, 0o644);
    Deno.writeTextFileSync(`${dir}/out/0/3`, " appended", { append: true });
    assert.equal(Deno.readTextFileSync(object), "chunk 3");
  }));

Deno.test("materialize() with link: hardlink links blobs from the store where possible", () =>
  withStore((ctx, dir) => {
    makeZarrLike(dir);
    const { id } = putDir(ctx, `${dir}/skims`, false);
    const result = materialize(ctx, id, `${dir}/out`, { link: "hardlink" });
    assert.equal(result.linked, 21, "all but the executable are links");
    const blob = putBytes(ctx, "blob", new TextEncoder().encode("chunk 3")).id;
    assert.equal(
      Deno.statSync(`${dir}/out/0/3`).ino,
      Deno.statSync(objectPath(ctx.layout, blob)).ino,
    );
  }));

Deno.test("putDir() with move empties the source and keeps the same tree id", () =>
  withStore((ctx, dir) => {
    makeZarrLike(dir);
    const copied = putDir(ctx, `${dir}/skims`, false);
    const moved = putDir(ctx, `${dir}/skims`, true);
    assert.equal(moved.id, copied.id);
    assert.throws(() => Deno.statSync(`${dir}/skims`), Deno.errors.NotFound);
  }));

Deno.test("putDir() refuses a symlink inside the directory", () =>
  withStore((ctx, dir) => {
    Deno.mkdirSync(`${dir}/d`);
    Deno.symlinkSync("/etc", `${dir}/d/escape`);
    assert.equal(reasonOf(() => putDir(ctx, `${dir}/d`, false)), "UnsafePath");
  }));

Deno.test("materialize() refuses a tree with an entry named '../x' and writes nothing", () =>
  withStore((ctx, dir) => {
    const blob = putBytes(ctx, "blob", new TextEncoder().encode("evil")).id;
    const raw = concat(
      "100644 ../x\0",
      Uint8Array.from(blob.match(/../g)!.map((h) => parseInt(h, 16))),
    );
    const evil = putBytes(ctx, "tree", raw).id;
    Deno.mkdirSync(`${dir}/dest-parent`);
    assert.equal(reasonOf(() => materialize(ctx, evil, `${dir}/dest-parent/out`)), "UnsafePath");
    assert.deepEqual([...Deno.readDirSync(`${dir}/dest-parent`)], [], "no staging dir left behind");
    assert.throws(() => Deno.statSync(`${dir}/dest-parent/x`), Deno.errors.NotFound);
    assert.throws(() => Deno.statSync(`${dir}/x`), Deno.errors.NotFound);
  }));

Deno.test("materialize() never overwrites an existing destination unless asked", () =>
  withStore((ctx, dir) => {
    const blob = putBytes(ctx, "blob", new TextEncoder().encode("new")).id;
    Deno.writeTextFileSync(`${dir}/mine.txt`, "mine");
    assert.equal(reasonOf(() => materialize(ctx, blob, `${dir}/mine.txt`)), "DestinationExists");
    assert.equal(Deno.readTextFileSync(`${dir}/mine.txt`), "mine");
    materialize(ctx, blob, `${dir}/mine.txt`, { overwrite: true });
    assert.equal(Deno.readTextFileSync(`${dir}/mine.txt`), "new");
  }));

Deno.test("materialize() of a damaged blob fails and leaves no partial destination", () =>
  withStore((ctx, dir) => {
    const a = putBytes(ctx, "blob", new TextEncoder().encode("good")).id;
    const b = putBytes(ctx, "blob", new TextEncoder().encode("will be damaged")).id;
    const tree = putBytes(
      ctx,
      "tree",
      encodeTree([{ name: "a", mode: "file", id: a }, { name: "b", mode: "file", id: b }]),
    ).id;
    const path = objectPath(ctx.layout, b);
    Deno.chmodSync(path, 0o644);
    Deno.writeTextFileSync(path, "will be DAMAGED");
    assert.equal(reasonOf(() => materialize(ctx, tree, `${dir}/out`)), "IntegrityMismatch");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["store"]);
  }));
