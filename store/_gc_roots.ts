// gc's roots from the refs and the retention policy, as local gc and a remote's gc
// both collect them: each root with what named it (for errors); refs and policy
// roots must exist (`strict`); a ref the policy handled is skipped unless it moved
// since (`moved`), when it is a root whole.
import type { ObjectId } from "./object_id.ts";

/** The roots collected so far, and how to add more. */
export interface GcRoots {
  /** Root → what named it. */
  readonly roots: Map<ObjectId, string>;
  /** Roots that must exist (a ref's or the policy's). */
  readonly strict: Set<ObjectId>;
  /** Refs the retention policy handled (their values when it did). */
  readonly handled: ReadonlyMap<string, ObjectId>;
  /** Handled refs whose value differs now: their reflogs count whole. */
  readonly moved: ReadonlySet<string>;
  /** Adds a root (`mustExist`: missing is an error). */
  readonly addRoot: (id: ObjectId, label: string, mustExist?: boolean) => void;
}

/** The roots named by `refs` and `options.extraRoots` (gc's options of the same names). */
export const gcRoots = (
  refs: Iterable<{ readonly name: string; readonly id: ObjectId }>,
  options: {
    readonly handledRefs?: ReadonlyMap<string, ObjectId>;
    readonly extraRoots?: readonly ObjectId[] | ReadonlyMap<ObjectId, string>;
  },
): GcRoots => {
  const roots = new Map<ObjectId, string>();
  const strict = new Set<ObjectId>();
  const addRoot = (id: ObjectId, label: string, mustExist = false) => {
    if (!roots.has(id)) roots.set(id, label);
    if (mustExist) strict.add(id);
  };
  const handled = options.handledRefs ?? new Map<string, ObjectId>();
  const moved = new Set<string>();
  for (const { name, id } of refs) {
    if (handled.get(name) === id) continue;
    if (handled.has(name)) moved.add(name);
    addRoot(id, `ref "${name}"`, true);
  }
  const extra = options.extraRoots ?? [];
  const extraEntries: Iterable<[ObjectId, string]> = Array.isArray(extra)
    ? (extra as readonly ObjectId[]).map((id) => [id, "a root the retention policy keeps"])
    : (extra as ReadonlyMap<ObjectId, string>);
  for (const [id, label] of extraEntries) addRoot(id, label, true);
  return { roots, strict, handled, moved, addRoot };
};
