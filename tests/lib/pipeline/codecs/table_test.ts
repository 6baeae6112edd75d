import assert from "node:assert/strict";
import { Table } from "../../../../lib/pipeline/codecs/table.ts";

const rows = [
  { zone: 1, population: 1200.5, name: "centre", parking: true, trips: 10n },
  { zone: 2, population: null, name: 'edge, "quoted"', parking: false, trips: 3n },
];

Deno.test("Table round-trips rows through Parquet with types intact", async () => {
  const bytes = await Table.encode(rows);
  assert.deepEqual([...bytes.subarray(0, 4)], [0x50, 0x41, 0x52, 0x31], "PAR1 magic");
  assert.deepEqual(await Table.decode(bytes), rows);
});

Deno.test("Table encodes equal tables to equal bytes (early cutoff depends on it)", async () => {
  assert.deepEqual(await Table.encode(rows), await Table.encode(rows.map((r) => ({ ...r }))));
});

Deno.test("Table.csv round-trips numbers, booleans, nulls and quoted text", async () => {
  const simple = rows.map(({ trips: _, ...r }) => r);
  const bytes = await Table.csv.encode(simple);
  assert.match(new TextDecoder().decode(bytes), /^zone,population,name,parking\n/);
  assert.deepEqual(await Table.csv.decode(bytes), simple);
});

Deno.test("Table refuses rows with differing columns and columns of mixed types", async () => {
  await assert.rejects(async () => await Table.encode([{ a: 1 }, { b: 2 }]), /row 1 has columns/);
  await assert.rejects(
    async () => await Table.encode([{ a: 1 }, { a: "x" }]),
    /mixes DOUBLE and STRING/,
  );
  await assert.rejects(async () => await Table.encode([{ a: {} as never }]), /holds a object/);
});

Deno.test("Table round-trips an empty table", async () => {
  assert.deepEqual(await Table.decode(await Table.encode([])), []);
});

Deno.test("Table.csv keeps text that does not read back as the same number as text (zone ids)", async () => {
  const bytes = new TextEncoder().encode(
    "zone,ratio,count,code\n00501,1.50,42,1e3\n00502,-0.25,7,12\n",
  );
  assert.deepEqual(await Table.csv.decode(bytes), [
    { zone: "00501", ratio: "1.50", count: 42, code: "1e3" },
    { zone: "00502", ratio: -0.25, count: 7, code: 12 },
  ]);
  const again = await Table.csv.decode(await Table.csv.encode(await Table.csv.decode(bytes)));
  assert.equal(again[0]!.zone, "00501", "written back and read, the id is the id");
});
