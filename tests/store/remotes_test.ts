import assert from "node:assert/strict";
import {
  decodeRemotes,
  encodeRemotes,
  parseRemoteUrl,
  readRemotes,
  remoteNameProblem,
  writeRemotes,
} from "../../store/remotes.ts";
import { openLayout } from "../../store/layout.ts";

Deno.test("the remotes file is canonical JSON (known answer) and decodes back", () => {
  const remotes = {
    origin: { url: "s3://team-cache/cairn", endpoint: "http://127.0.0.1:7480" },
    aws: { url: "s3://bucket" },
  };
  const text = encodeRemotes(remotes);
  assert.equal(
    text,
    '{"aws":{"url":"s3://bucket"},"origin":{"endpoint":"http://127.0.0.1:7480","url":"s3://team-cache/cairn"}}\n',
  );
  assert.deepEqual(decodeRemotes(text), remotes);
});

Deno.test("a damaged remotes file is refused with what is wrong, never half-read", () => {
  assert.throws(() => decodeRemotes("{"), /remotes file.*not JSON/);
  assert.throws(() => decodeRemotes('{"o":{"url":"http://x"}}'), /entry "o" is not a remote/);
  assert.throws(() => decodeRemotes('{".o":{"url":"s3://abc"}}'), /entry ".o"/);
  assert.throws(() => decodeRemotes('{"o":{"url":"s3://abc","endpoint":1}}'), /endpoint/);
});

Deno.test("s3 URLs give a bucket and a prefix; names are ref-segment-like", () => {
  assert.deepEqual(parseRemoteUrl("s3://team-cache/a/b/"), { bucket: "team-cache", prefix: "a/b" });
  assert.deepEqual(parseRemoteUrl("s3://team-cache"), { bucket: "team-cache", prefix: "" });
  assert.ok("problem" in parseRemoteUrl("s3://Team/a"));
  assert.ok("problem" in parseRemoteUrl("s3://team/../x"));
  assert.ok("problem" in parseRemoteUrl("gs://team/x"));
  assert.equal(remoteNameProblem("origin"), undefined);
  assert.ok(remoteNameProblem("-x"));
  assert.ok(remoteNameProblem("a/b"));
});

Deno.test("writeRemotes replaces the file whole; a store without one has no remotes", () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-remotes-" });
  try {
    const root = `${dir}/store`;
    openLayout(root, true);
    assert.deepEqual(readRemotes(root), {});
    writeRemotes(root, { origin: { url: "s3://abc/x" } });
    writeRemotes(root, { origin: { url: "s3://abc/x" }, b: { url: "s3://abc/y" } });
    assert.deepEqual(Object.keys(readRemotes(root)).sort(), ["b", "origin"]);
    assert.deepEqual([...Deno.readDirSync(`${root}/tmp`)].filter((e) => e.isFile), []);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
