import assert from "node:assert/strict";
import { objectPath } from "../../store/layout.ts";
import { hashObject } from "../../store/object_id.ts";
import {
  hashFile,
  hasObject,
  identify,
  putBytes,
  putFile,
  readVerified,
  removeDamaged,
  streamBlob,
} from "../../store/objects.ts";
import { encodeRecord } from "../../store/record.ts";
import { encodeTree } from "../../store/tree.ts";
import { reasonOf, withStore } from "./_helpers.ts";

const encoder = new TextEncoder();

Deno.test("putBytes() returns the same id for the same bytes and writes once", () =>
  withStore((ctx) => {
    const first = putBytes(ctx, "blob", encoder.encode("same"));
    const second = putBytes(ctx, "blob", encoder.encode("same"));
    assert.equal(first.id, hashObject("blob", encoder.encode("same")));
    assert.equal(first.id, second.id);
    assert.equal(first.written, true);
    assert.equal(second.written, false);
    assert.deepEqual(Deno.readFileSync(objectPath(ctx.layout, first.id)), encoder.encode("same"));
  }));

Deno.test("putBytes() stores objects read-only at objects/<2>/<62> and leaves tmp/ empty", () =>
  withStore((ctx) => {
    const { id } = putBytes(ctx, "blob", encoder.encode("x"));
    const path = `${ctx.layout.objects}/${id.slice(0, 2)}/${id.slice(2)}`;
    assert.equal(Deno.statSync(path).mode! & 0o777, 0o444);
    assert.deepEqual([...Deno.readDirSync(ctx.layout.tmp)].filter((e) => e.isFile), []);
  }));

Deno.test("putBytes() of bytes already present refreshes the object's mtime", () =>
  withStore((ctx) => {
    const { id } = putBytes(ctx, "blob", encoder.encode("old"));
    const path = objectPath(ctx.layout, id);
    Deno.utimeSync(path, new Date(1_000_000), new Date(1_000_000));
    putBytes(ctx, "blob", encoder.encode("old"));
    assert.ok(Deno.statSync(path).mtime!.getTime() > Date.now() - 60_000);
  }));

Deno.test("readVerified() returns the payload and fails with IntegrityMismatch after one byte changes", () =>
  withStore((ctx) => {
    const payload = encoder.encode("precious results");
    const { id } = putBytes(ctx, "blob", payload);
    assert.deepEqual(readVerified(ctx, id, "blob"), payload);
    const path = objectPath(ctx.layout, id);
    Deno.chmodSync(path, 0o644);
    const damaged = payload.slice();
    damaged[3]! ^= 1;
    Deno.writeFileSync(path, damaged);
    assert.equal(reasonOf(() => readVerified(ctx, id, "blob")), "IntegrityMismatch");
    // The read set the damaged file aside: nothing reads it again, a put can rewrite it.
    assert.throws(() => Deno.lstatSync(path), Deno.errors.NotFound);
    const [aside] = [...Deno.readDirSync(ctx.layout.quarantine)];
    assert.ok(aside?.name.startsWith(`${id}-`));
    assert.deepEqual(Deno.readFileSync(`${ctx.layout.quarantine}/${aside!.name}`), damaged);
    assert.equal(reasonOf(() => readVerified(ctx, id, "blob")), "ObjectNotFound");
    Deno.writeFileSync(path, damaged);
    assert.equal(reasonOf(() => streamBlob(ctx, id, () => {})), "IntegrityMismatch");
    assert.equal(reasonOf(() => streamBlob(ctx, id, () => {})), "ObjectNotFound");
  }));

Deno.test("readVerified() of an intact object as another kind fails with InvalidObject and leaves it", () =>
  withStore((ctx) => {
    const { id } = putBytes(ctx, "blob", encoder.encode('{"type":"note"}'));
    assert.equal(reasonOf(() => readVerified(ctx, id, "record")), "InvalidObject");
    assert.equal(streamBlob(ctx, id, () => {}), 15, "the blob is still there, intact");
    const { id: record } = putBytes(ctx, "record", encoder.encode('{"type":"note"}'));
    assert.equal(reasonOf(() => streamBlob(ctx, record, () => {})), "InvalidObject");
    assert.equal(readVerified(ctx, record, "record").length, 15, "the record is still there");
  }));

Deno.test("readVerified() of an absent id fails with ObjectNotFound", () =>
  withStore((ctx) => {
    assert.equal(reasonOf(() => readVerified(ctx, "ab".repeat(32), "blob")), "ObjectNotFound");
    assert.equal(hasObject(ctx, "ab".repeat(32)), false);
  }));

Deno.test("streamBlob() delivers every byte of a multi-chunk blob and returns its size", () =>
  withStore((ctx, dir) => {
    const big = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => i % 251);
    Deno.writeFileSync(`${dir}/big`, big);
    const { id, size } = putFile(ctx, `${dir}/big`, false);
    assert.equal(size, big.length);
    const chunks: Uint8Array[] = [];
    assert.equal(streamBlob(ctx, id, (c) => chunks.push(c.slice())), big.length);
    const joined = new Uint8Array(big.length);
    let offset = 0;
    for (const c of chunks) {
      joined.set(c, offset);
      offset += c.length;
    }
    assert.deepEqual(joined, big);
  }));

Deno.test("putFile() copies by default and moves (zero-copy) when asked", () =>
  withStore((ctx, dir) => {
    Deno.writeTextFileSync(`${dir}/keep.txt`, "keep me");
    const kept = putFile(ctx, `${dir}/keep.txt`, false);
    assert.equal(Deno.readTextFileSync(`${dir}/keep.txt`), "keep me");
    assert.equal(kept.id, hashFile(`${dir}/keep.txt`).id);

    Deno.writeTextFileSync(`${dir}/give.txt`, "take me");
    const inode = Deno.statSync(`${dir}/give.txt`).ino;
    const moved = putFile(ctx, `${dir}/give.txt`, true);
    assert.throws(() => Deno.statSync(`${dir}/give.txt`), Deno.errors.NotFound);
    const stored = Deno.statSync(objectPath(ctx.layout, moved.id));
    assert.equal(stored.ino, inode, "the file was renamed, not copied");
    assert.equal(stored.mode! & 0o777, 0o444);
    assert.ok(
      stored.mtime!.getTime() > Date.now() - 60_000,
      "a moved file gets a fresh mtime for gc",
    );
  }));

Deno.test("putFile() remembers the executable bit and refuses symlinks", () =>
  withStore((ctx, dir) => {
    Deno.writeTextFileSync(`${dir}/run.sh`, "#!/bin/sh\n");
    Deno.chmodSync(`${dir}/run.sh`, 0o755);
    assert.equal(putFile(ctx, `${dir}/run.sh`, false).executable, true);
    Deno.symlinkSync("/etc/passwd", `${dir}/link`);
    assert.equal(reasonOf(() => putFile(ctx, `${dir}/link`, false)), "UnsafePath");
  }));

Deno.test("identify() proves an object's kind by hashing and reports damage", () =>
  withStore((ctx) => {
    const blob = putBytes(ctx, "blob", encoder.encode('{"type":"looks like a record"}')).id;
    const record = putBytes(ctx, "record", encodeRecord({ type: "run" })).id;
    const tree = putBytes(ctx, "tree", encodeTree([{ name: "a", mode: "file", id: blob }])).id;
    const empty = putBytes(ctx, "tree", new Uint8Array()).id;
    assert.equal(identify(ctx, blob), "blob");
    assert.equal(identify(ctx, record), "record");
    assert.equal(identify(ctx, tree), "tree");
    assert.equal(identify(ctx, empty), "tree");
    const path = objectPath(ctx.layout, record);
    Deno.chmodSync(path, 0o644);
    Deno.writeTextFileSync(path, '{"type":"tampered"}');
    assert.equal(reasonOf(() => identify(ctx, record)), "IntegrityMismatch");
  }));

Deno.test("a put of bytes whose object is damaged replaces it; removeDamaged() sets a damaged one aside", () =>
  withStore((ctx, dir) => {
    const payload = encoder.encode("results");
    const { id } = putBytes(ctx, "blob", payload);
    const path = objectPath(ctx.layout, id);
    const damage = () => {
      Deno.chmodSync(path, 0o644);
      Deno.writeTextFileSync(path, "resulTs");
      Deno.chmodSync(path, 0o444);
    };
    damage();
    assert.equal(putBytes(ctx, "blob", payload).written, false, "the id was present");
    assert.deepEqual(readVerified(ctx, id, "blob"), payload, "putBytes rewrote it");
    damage();
    Deno.writeFileSync(`${dir}/copy`, payload);
    putFile(ctx, `${dir}/copy`, false);
    assert.deepEqual(readVerified(ctx, id, "blob"), payload, "putFile rewrote it");
    damage();
    putFile(ctx, `${dir}/copy`, true);
    assert.deepEqual(readVerified(ctx, id, "blob"), payload, "putFile with move rewrote it");
    assert.equal(Deno.statSync(path).mode! & 0o777, 0o444);

    assert.equal(removeDamaged(ctx, id), false, "intact: left alone");
    damage();
    assert.equal(removeDamaged(ctx, id), true);
    assert.throws(() => Deno.lstatSync(path), Deno.errors.NotFound);
    assert.equal(putBytes(ctx, "blob", payload).written, true);
    assert.deepEqual(readVerified(ctx, id, "blob"), payload);
    assert.equal(removeDamaged(ctx, "ab".repeat(32)), false, "missing: nothing to do");
  }));

Deno.test("putFile() in copy mode starts the writer session before its temp file exists", () =>
  withStore((ctx, dir) => {
    // gc spares temp files younger than the oldest live session's start: a session
    // started only at publish would leave the temp file unprotected while written.
    const source = `${dir}/big.bin`;
    Deno.writeFileSync(source, new Uint8Array(16 * 1024 * 1024).fill(7));
    const { id } = putFile(ctx, source, false);
    const [session] = [...Deno.readDirSync(`${dir}/store/tmp/sessions`)];
    assert.ok(session, "a session file exists");
    const start = Number(
      Deno.readTextFileSync(`${dir}/store/tmp/sessions/${session.name}`).match(/^start (\d+)/)![1],
    );
    const written = Deno.statSync(objectPath(ctx.layout, id)).mtime!.getTime();
    assert.ok(start < written, `session started at ${start}, object written at ${written}`);
  }));
