// `cairn gc`: retention by scenario history, and dry runs.
import assert from "node:assert/strict";
import { Effect } from "effect";
import type { ObjectStoreApi } from "../../mod.ts";
import type { CollectReport } from "../../lib/query/mod.ts";
import { cairn, cairnJson, cairnOk, inStore, runDemo, withTempDir } from "./_fixture.ts";

// Every object a record reaches through its links and tree entries; a scenario
// record's link to its parent (the older record of its history) is not followed.
const reach = (store: ObjectStoreApi, from: string) =>
  Effect.gen(function* () {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const kind = yield* store.identify(id);
      if (kind === "record") {
        const record = yield* store.readRecord(id);
        for (const link of (record.links ?? []) as string[]) {
          if (record.type !== "scenario" || link !== record.parent) stack.push(link);
        }
      } else if (kind === "tree") {
        for (const entry of yield* store.readTree(id)) stack.push(entry.id);
      }
    }
    return seen;
  });

Deno.test("gc --keep-last 1 removes exactly what only the older scenario run reached", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    const older = await runDemo(root, { rate: 1.1, n: 3 });
    const newer = await runDemo(root, { rate: 1.3, n: 3 });
    const before = await inStore(root, (store) =>
      Effect.gen(function* () {
        const all = new Set(yield* store.listObjects());
        const olderReach = yield* reach(store, older.record);
        const newerReach = yield* reach(store, newer.record);
        const onlyOlder = [...olderReach].filter((id) => !newerReach.has(id));
        // Objects no scenario reaches (the code-identity cache's summaries): garbage already.
        const loose = [...all].filter((id) => !olderReach.has(id) && !newerReach.has(id));
        const looseTypes = new Set<unknown>();
        for (const id of loose) looseTypes.add((yield* store.readRecord(id)).type);
        return { all, onlyOlder, loose, looseTypes, newerReach };
      }));
    assert.ok(before.onlyOlder.length > 0);
    assert.ok(before.onlyOlder.includes(older.record));
    assert.ok(!before.onlyOlder.includes(older.zones), "the shared input stays");
    assert.deepEqual([...before.looseTypes].filter((t) => t === "run" || t === "scenario"), []);

    const dry = await cairnJson<CollectReport>(
      ["gc", "--keep-last", "1", "--grace", "0s", "--dry-run", "--store", root],
    );
    assert.equal(dry.objectsRemoved, before.onlyOlder.length + before.loose.length);
    assert.equal((await inStore(root, (s) => s.listObjects())).length, before.all.size);

    const text = await cairnOk(["gc", "--keep-last", "1", "--grace", "0s", "--store", root]);
    assert.match(text, new RegExp(`^removed ${dry.objectsRemoved} objects `, "m"));
    assert.match(text, /^dropped 1 scenario record from histories$/m);
    const after = new Set(await inStore(root, (s) => s.listObjects()));
    const removed = [...before.all].filter((id) => !after.has(id)).sort();
    assert.deepEqual(removed, [...before.onlyOlder, ...before.loose].sort());
    for (const id of before.newerReach) assert.ok(after.has(id));

    assert.equal((await cairn(["fsck", "--store", root])).code, 0);
    const again = await runDemo(root, { rate: 1.3, n: 3 });
    assert.ok(again.invocations.every((i) => i.hit), "the newer scenario is all hits");
    assert.equal(again.final, newer.final);
  });
});

// Reflog entries are not roots here: they name the removed records themselves (fsck
// calls those expired history), and would be counted apart from the cut link.
Deno.test("a gc after gc --keep-last 1 does not count the link to the parent it removed as missing", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    await runDemo(root, { rate: 1.1, n: 2 });
    await runDemo(root, { rate: 1.3, n: 2 });
    await cairnOk(["gc", "--keep-last", "1", "--grace", "0s", "--store", root]);
    const args = ["gc", "--grace", "0s", "--reflog-expiry", "0s", "--store", root];
    const again = await cairnJson<CollectReport>(args);
    assert.equal(again.missing, 0);
    assert.equal(again.objectsRemoved, 0);
    assert.doesNotMatch(await cairnOk(args), /missing/);
  });
});

Deno.test("gc refuses a malformed duration and, by default, keeps young objects", async () => {
  await withTempDir(async (dir) => {
    const root = `${dir}/store`;
    await runDemo(root, { rate: 1.1, n: 1 });
    const bad = await cairn(["gc", "--grace", "soon", "--store", root]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /"soon" is not a duration/);
    const report = await cairnJson<CollectReport>(["gc", "--store", root]);
    assert.equal(report.objectsRemoved, 0, "everything is younger than the default hour");
  });
});
