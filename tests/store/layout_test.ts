import assert from "node:assert/strict";
import { FORMAT_LINE, openLayout } from "../../store/layout.ts";
import { inTemp, messageOf, reasonOf } from "./_helpers.ts";

Deno.test("openLayout() creates the documented layout and format file", () =>
  inTemp((dir) => {
    openLayout(`${dir}/s`, true);
    for (const part of ["objects", "refs", "logs", "index", "tmp"]) {
      assert.ok(Deno.statSync(`${dir}/s/${part}`).isDirectory, part);
    }
    assert.equal(Deno.readTextFileSync(`${dir}/s/format`), `${FORMAT_LINE}\n`);
  }));

Deno.test("openLayout() refuses a store of an unknown format version with a clear error", () =>
  inTemp((dir) => {
    openLayout(`${dir}/s`, true);
    Deno.writeTextFileSync(`${dir}/s/format`, "cairn-store 99\n");
    assert.equal(reasonOf(() => openLayout(`${dir}/s`, true)), "UnsupportedStore");
    assert.match(messageOf(() => openLayout(`${dir}/s`, true)), /cairn-store 99/);
  }));

Deno.test("openLayout() refuses a non-empty directory that is not a store, and writes nothing", () =>
  inTemp((dir) => {
    Deno.writeTextFileSync(`${dir}/notes.txt`, "mine");
    assert.equal(reasonOf(() => openLayout(dir, true)), "UnsupportedStore");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["notes.txt"]);
  }));

Deno.test("openLayout() without create refuses a missing store", () =>
  inTemp((dir) => {
    assert.equal(reasonOf(() => openLayout(`${dir}/none`, false)), "UnsupportedStore");
    assert.throws(() => Deno.statSync(`${dir}/none`), Deno.errors.NotFound);
  }));

Deno.test("openLayout() refuses a file where the store should be", () =>
  inTemp((dir) => {
    Deno.writeTextFileSync(`${dir}/file`, "x");
    assert.equal(reasonOf(() => openLayout(`${dir}/file`, true)), "UnsupportedStore");
    assert.equal(Deno.readTextFileSync(`${dir}/file`), "x");
  }));
