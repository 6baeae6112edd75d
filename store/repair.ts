/**
 * `fsck --repair` at the store's level: what can be put right without knowing what
 * the objects mean.
 *
 * - Every object fsck found corrupt is set aside (`quarantine/`), so the next put of
 *   its bytes — the re-run of the step that made it — writes it afresh.
 * - An intact object that was made writable is made read-only again.
 * - A ref whose object is damaged or missing is reset to the newest earlier value in
 *   its reflog that is present and intact (as `git reset` to the last good commit);
 *   a ref with no such value is left as it is and reported, so that gc, which refuses
 *   to run over a root it cannot read, stops until someone decides.
 *
 * The pipeline layer adds what depends on records' meaning: which runs' outputs are
 * now missing, whose cache entries it withdraws (see `lib/query/repair.ts`).
 *
 * @module
 */
import type { FsckReport } from "./fsck.ts";
import { objectPath } from "./layout.ts";
import { identify, removeDamaged, type StoreContext } from "./objects.ts";
import { listRefs, readReflog, updateRef } from "./refs.ts";
import { lstatOrUndefined } from "./_fs.ts";

/** What a repair did. */
export interface RepairReport {
  /** Damaged objects moved to `quarantine/`. */
  readonly setAside: readonly string[];
  /** Intact objects that were writable and are read-only again. */
  readonly madeReadOnly: readonly string[];
  /** Refs reset to an earlier, intact value from their reflog. */
  readonly refsReset: readonly {
    readonly name: string;
    readonly from: string;
    readonly to: string;
  }[];
  /** Refs naming a damaged or missing object with no intact earlier value: left as they are. */
  readonly refsLeft: readonly { readonly name: string; readonly id: string }[];
}

const intact = (ctx: StoreContext, id: string): boolean => {
  try {
    identify(ctx, id);
    return true;
  } catch {
    return false;
  }
};

/** Repairs what `report` (a full fsck of the same store) found; see the module doc. */
export const repair = (ctx: StoreContext, report: FsckReport): RepairReport => {
  const setAside: string[] = [];
  const madeReadOnly: string[] = [];
  for (const problem of report.problems) {
    if (problem.kind === "corrupt" && removeDamaged(ctx, problem.subject)) {
      setAside.push(problem.subject);
    }
    if (problem.kind === "writable" && intact(ctx, problem.subject)) {
      const path = objectPath(ctx.layout, problem.subject);
      if (lstatOrUndefined(path)?.isFile) {
        Deno.chmodSync(path, 0o444);
        madeReadOnly.push(problem.subject);
      }
    }
  }
  const refsReset: { name: string; from: string; to: string }[] = [];
  const refsLeft: { name: string; id: string }[] = [];
  for (const { name, id } of listRefs(ctx.layout)) {
    if (intact(ctx, id)) continue;
    const earlier = readReflog(ctx.layout, name).reverse().find((e) =>
      e.new !== null && e.new !== id && intact(ctx, e.new)
    );
    if (!earlier?.new) {
      refsLeft.push({ name, id });
      continue;
    }
    updateRef(ctx.layout, name, earlier.new, {
      expected: id,
      message: `fsck --repair: ${id} is damaged or missing; back to ${earlier.new}`,
    });
    refsReset.push({ name, from: id, to: earlier.new });
  }
  return { setAside, madeReadOnly, refsReset, refsLeft };
};
