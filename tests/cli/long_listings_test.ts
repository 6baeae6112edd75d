// Listings with a line per run or per problem, as large stores make them: more lines
// than a function call takes arguments (`lines.push(...rows)` threw RangeError past
// ~120,000 on this Deno), laid out whole.
import assert from "node:assert/strict";
import { impactLines } from "../../cli/impact.ts";
import { report } from "../../cli/fsck.ts";

const N = 200_000;
const id = (i: number) => i.toString(16).padStart(64, "0");

Deno.test("impact prints one line per run downstream of 200,000 runs", () => {
  const transitive = Array.from({ length: N }, (_, i) => ({
    run: id(i),
    step: i % 2 === 0 ? "assign" : "skim",
    iteration: Math.floor(i / 2),
    scenario: "base",
    distance: i + 1,
  }));
  const lines = impactLines(
    {
      artifact: id(N),
      direct: transitive.slice(0, 1),
      transitive,
      byStep: {
        assign: transitive.filter((r) => r.step === "assign").map((r) => r.iteration),
        skim: transitive.filter((r) => r.step === "skim").map((r) => r.iteration),
      },
    },
    {
      id: id(N),
      name: "zones",
      kind: "blob",
      codec: "json",
      size: 2,
      producer: null,
      producers: 0,
    },
  );
  // Two header lines, a blank, the step table (header + 2), a blank, the run table.
  assert.equal(lines.length, 2 + 1 + 3 + 1 + 1 + N);
  assert.match(lines.at(-1)!, /^0{12} {2}skim@99999 +base +200000$/);
});

Deno.test("fsck lists each of 200,000 problems on a line of its own", () => {
  const problems = Array.from({ length: N }, (_, i) => ({
    kind: "writable" as const,
    subject: id(i),
    detail: "mode 644; objects must be 0444",
  }));
  const lines = report({
    ok: false,
    objects: N,
    bytes: N,
    byKind: { blob: N, tree: 0, record: 0 },
    refs: 0,
    reflogEntries: 0,
    expiredReflogEntries: 0,
    indexEntries: 0,
    tmpFiles: 0,
    problems,
  });
  assert.equal(lines.filter((l) => l.startsWith("writable")).length, N);
});
