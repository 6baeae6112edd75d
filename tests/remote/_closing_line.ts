// The closing line a run with a remote cache prints, as numbers:
// `[cairn] remote "NAME": H of L lookups hit; downloaded X objects (B B) and R records;
// uploaded N runs and S scenario records (U objects, V B)`.
import assert from "node:assert/strict";

const LINE =
  /remote "[^"]+": (\d+) of (\d+) lookups hit; downloaded (\d+) objects? \((\d+) B\) and (\d+) records?; uploaded (\d+) runs? and (\d+) scenario records? \((\d+) objects?, (\d+) B\)/;

/** The numbers of the closing line found in `text` (a stderr, or its lines). */
export const closingLine = (text: string | readonly string[]) => {
  const all = typeof text === "string" ? text : text.join("\n");
  const m = LINE.exec(all);
  assert.ok(m, `no closing line of the remote cache in:\n${all}`);
  const [hits, lookups, objects, bytes, records, runs, scenarios, upObjects, upBytes] = m.slice(1)
    .map(Number) as [number, number, number, number, number, number, number, number, number];
  return { hits, lookups, objects, bytes, records, runs, scenarios, upObjects, upBytes };
};
