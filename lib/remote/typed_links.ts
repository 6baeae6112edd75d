/**
 * What a record's links are, as far as its format says: a scenario record links its
 * parent and its runs (records) and a failed command's logs (blobs); a run record
 * links the runs that made its inputs (records), its inputs and outputs (kinds
 * recorded), its logs (blobs) and the sources it ran (kind not recorded). A pull
 * without the bytes follows the records only, so it never downloads a blob to learn
 * that it is one.
 *
 * @module
 */
import type { ObjectId, ObjectKind } from "../../store/object_id.ts";
import type { StoreRecord } from "../../store/record.ts";
import { decodeRunRecord } from "../model/run_record.ts";
import { decodeScenarioRecord } from "../model/scenario_record.ts";

/** A linked object with its kind when the record says it. */
export interface TypedLink {
  /** The object's id. */
  readonly id: ObjectId;
  /** Its kind, when the record says it (else found by reading it). */
  readonly kind?: ObjectKind;
}

/**
 * The links of `record`, each with its kind where its format says it.
 *
 * @example A scenario record's parent and runs are records
 * ```ts
 * import assert from "node:assert/strict"
 * import { typedLinks } from "./typed_links.ts"
 *
 * const a = "a".repeat(64), b = "b".repeat(64)
 * const links = typedLinks({ type: "note", links: [a, b] })
 * assert.deepEqual(links, [{ id: a }, { id: b }]) // not a format it knows: kinds unknown
 * ```
 */
export const typedLinks = (record: StoreRecord): TypedLink[] => {
  const kinds = new Map<ObjectId, ObjectKind>();
  const scenario = decodeScenarioRecord(record);
  if (scenario) {
    if (scenario.parent) kinds.set(scenario.parent, "record");
    for (const i of scenario.invocations) {
      if (i.run) kinds.set(i.run, "record");
      if (i.logs) kinds.set(i.logs.stdout, "blob").set(i.logs.stderr, "blob");
    }
  }
  const run = decodeRunRecord(record);
  if (run) {
    for (const input of Object.values(run.inputs)) {
      if (!input) continue;
      kinds.set(input.id, input.kind);
      if (input.producer) kinds.set(input.producer, "record");
    }
    for (const output of Object.values(run.outputs)) kinds.set(output.id, output.kind);
    if (run.logs) kinds.set(run.logs.stdout, "blob").set(run.logs.stderr, "blob");
  }
  return [...new Set(record.links ?? [])].map((id) => {
    const kind = kinds.get(id);
    return kind ? { id, kind } : { id };
  });
};
