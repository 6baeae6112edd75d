// `deno doc --lint` over the package's entry points: every exported symbol documented,
// every type a public one names public, explicit types where the lint asks for them.
//
// One kind of diagnostic is let through, by name: a public type that names one of the
// effect package's own public types (Effect, Service, Reference, TaggedError, Scope, Layer,
// Deferred, Schema.Top, ShardingConfig). deno doc reports a type from another package as private
// when its graph does not reach that package's exports (denoland/deno#27364); those types are effect's public API, and
// re-exporting them from cairn would only move the report into effect's own types.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
// The package's exports (deno.json): the public API, the store's internals, the queries,
// the cluster executor.
const ENTRY_POINTS = ["mod.ts", "store/mod.ts", "lib/query/mod.ts", "lib/pipeline/cluster/mod.ts"];
const EFFECT_TYPES = new Set([
  "Effect",
  "Service",
  "Reference",
  "TaggedError",
  "Scope",
  "Layer",
  "Deferred",
  "Top",
  // The cluster's settings, which `cluster({ sharding })` and `runner({ sharding })` pass on.
  "ShardingConfig",
]);

Deno.test("deno doc --lint finds nothing in the package's entry points (but other packages' public types)", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--lint", ...ENTRY_POINTS],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  // One block per diagnostic: "error[rule]: message" and its location line.
  const blocks = text.split(/\n(?=error\[)/).filter((b) => b.startsWith("error["));
  const left: string[] = [];
  let allowed = 0;
  for (const block of blocks) {
    const rule = /^error\[([a-z-]+)\]/.exec(block)?.[1];
    const referenced = /references private type '([^']+)'/.exec(block)?.[1];
    if (rule === "private-type-ref" && referenced && EFFECT_TYPES.has(referenced)) {
      allowed++;
      continue;
    }
    const where = /-->\s+(\S+)/.exec(block)?.[1]?.replace(ROOT, "") ?? "?";
    left.push(`${block.split("\n")[0]} (${where})`);
  }
  assert.deepEqual(left, [], text.slice(0, 4000));
  assert.ok(blocks.length === allowed, "every diagnostic was read");
});
