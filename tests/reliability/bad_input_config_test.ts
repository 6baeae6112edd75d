// Bad input, family "values": step and scenario configs, and record values, that
// cannot be hashed canonically. Each generated case must fail in the Effect error
// channel with the typed reason (ConfigNotCanonical for configs, StoreError /
// InvalidInput for records), name the path of the offending value, and write
// nothing anywhere.
import assert from "node:assert/strict";
import * as Effect from "effect/Effect";
import { Json, Pipeline, scenario, step } from "../../mod.ts";
import { canonicalConfig } from "../../lib/model/canonical_config.ts";
import { encodeCanonicalJson } from "../../store/canonical_json.ts";
import { ObjectStore } from "../../store/object_store.ts";
import type { StoreRecord } from "../../store/record.ts";
import {
  assertSameTree,
  badConfig,
  badConfigValues,
  badRecord,
  badRecordValues,
  expectTyped,
  failureOf,
  goodConfigValue,
  makeSandbox,
  removeSandbox,
  rngFor,
  snapshot,
  Tally,
  where,
} from "./_bad_inputs.ts";

Deno.env.set("CAIRN_PROGRESS", "0");

const CONFIGS = 150;
const RECORDS = 80;
const CONTROLS = 20;
const tally = new Tally("bad_input_config_test");

// The error names the full path unless it is too long to read (the depth limit).
const pathShown = (full: string): string => (full.length > 200 ? full.slice(0, 120) : full);

Deno.test("a step or scenario config with a bad value anywhere fails with ConfigNotCanonical naming its path, and writes nothing", async () => {
  const r = rngFor("config");
  const box = makeSandbox("bad-config");
  try {
    const quiet = [`${box.store}/tmp/sessions`, `${box.store}/gc.lock`];
    const program = Effect.gen(function* () {
      for (let i = 0; i < CONFIGS; i++) {
        const bad = badConfig(r, r.pick(badConfigValues(r)));
        const context = where("config", i, `${bad.kind} at ${bad.path}`);
        const before = snapshot(box.root, quiet);
        const badStep = step({
          name: `bad_config_${i}`,
          version: "1",
          outputs: { x: Json },
          config: bad.value,
          run: () => ({ x: 1 }),
        });
        for (
          const [root, effect] of [
            ["config", Effect.asVoid(badStep({}))],
            ["scenario.config", scenario(`bad_config_${i}`, { config: bad.value }, Effect.void)],
          ] as const
        ) {
          const error = yield* failureOf(effect, `${context} via ${root}`);
          const message = expectTyped(error, "PipelineError", ["ConfigNotCanonical"], context);
          assert.ok(
            message.startsWith(`Cannot hash config: ${pathShown(`${root}${bad.path}`)}`),
            `${context}: message does not name the path "${root}${bad.path}": ${message}`,
          );
          assert.match(message, bad.detail, context);
          assert.match(message, /; use plain data \(/, `${context}: no fix in ${message}`);
          tally.add(`config (${root === "config" ? "step" : "scenario"})`);
        }
        assertSameTree(before, snapshot(box.root, quiet), context);
      }
    });
    await Effect.runPromise(program.pipe(Effect.provide(Pipeline.layerDisk({ root: box.store }))));
  } finally {
    removeSandbox(box);
  }
});

Deno.test("canonicalConfig() accepts Date, Map, Set, bytes, bigint and undefined in arrays at any depth, independent of key order", () => {
  const r = rngFor("config-controls");
  for (let i = 0; i < CONTROLS; i++) {
    const entries = [
      ...new Map(Array.from({ length: r.range(1, 6) }, () => [r.word(), goodConfigValue(r)])),
    ];
    const nested = { outer: Object.fromEntries(entries), list: entries.map(([, v]) => v) };
    const reversed = {
      list: nested.list,
      outer: Object.fromEntries([...entries].reverse()),
    };
    const text = encodeCanonicalJson(canonicalConfig(nested));
    assert.equal(encodeCanonicalJson(canonicalConfig(reversed)), text, where("control", i, text));
    tally.add("config controls (accepted, not counted as bad)");
  }
});

Deno.test("a record holding a value JSON cannot carry fails with StoreError/InvalidInput naming its path, and writes nothing", async () => {
  const r = rngFor("record-values");
  const box = makeSandbox("bad-record");
  try {
    const quiet = [`${box.store}/tmp/sessions`, `${box.store}/gc.lock`];
    const program = Effect.gen(function* () {
      const store = yield* ObjectStore;
      for (let i = 0; i < RECORDS; i++) {
        const bad = badRecord(r, r.pick(badRecordValues(r)));
        const context = where("record value", i, `${bad.kind} at $${bad.path}`);
        const before = snapshot(box.root, quiet);
        const error = yield* failureOf(store.putRecord(bad.value as StoreRecord), context);
        const message = expectTyped(error, "StoreError", ["InvalidInput"], context);
        assert.ok(
          message.startsWith(`Cannot accept record value at "${pathShown(`$${bad.path}`)}`),
          `${context}: message does not name the path "$${bad.path}": ${message}`,
        );
        assert.match(message, bad.detail, context);
        assertSameTree(before, snapshot(box.root, quiet), context);
        tally.add("record values");
      }
    });
    await Effect.runPromise(program.pipe(Effect.provide(ObjectStore.layer({ root: box.store }))));
  } finally {
    removeSandbox(box);
  }
});

Deno.test("bad_input_config_test: seed and case counts", () => {
  tally.print();
  assert.ok(tally.total >= CONFIGS * 2 + RECORDS);
});
