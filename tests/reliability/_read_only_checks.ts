// What a store on a read-only file system must do: every write fails with a typed
// error that says to check the file system, and every read still works. Run
// in-process by read_only_store_test.ts, and as a script inside a private mount
// namespace where the store really is a read-only mount (EROFS):
//
//   deno run -A tests/reliability/_read_only_checks.ts <store> <dest-dir>
//
// prints one JSON array of outcomes.
import * as Cause from "effect/Cause";
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import * as Option from "effect/Option";
import { Json, Pipeline, step } from "../../mod.ts";
import { ObjectStore } from "../../store/object_store.ts";
import { loadLineageView } from "../../lib/query/lineage_view.ts";

/** One operation's outcome. */
export interface Outcome {
  readonly op: string;
  readonly expect: "fail" | "ok";
  readonly ok: boolean;
  readonly tag?: string;
  readonly reason?: string;
  readonly message?: string;
  /** Set when the operation died (a crash) instead of failing with a typed error. */
  readonly defect?: string;
}

/** The ids a prepared store holds. */
export interface Prepared {
  readonly blob: string;
}

const te = new TextEncoder();

/** Fills `root` with a blob, a ref and an index entry (before it is made read-only). */
export const prepare = (root: string): Promise<Prepared> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const store = yield* ObjectStore;
      const { id } = yield* store.putBlob(te.encode("kept"));
      yield* store.updateRef("scenarios/kept", id, { message: "prepare" });
      yield* store.index("cache").append("key", id);
      return { blob: id };
    }).pipe(Effect.provide(ObjectStore.layer({ root }))),
  );

const outcome = <A, E>(
  op: string,
  expect: "fail" | "ok",
  effect: Effect.Effect<A, E>,
): Effect.Effect<Outcome> =>
  Effect.map(Effect.exit(effect), (exit): Outcome => {
    if (Exit.isSuccess(exit)) return { op, expect, ok: true };
    const error = Cause.findErrorOption(exit.cause);
    if (Cause.hasDies(exit.cause) || Option.isNone(error)) {
      return { op, expect, ok: false, defect: Cause.pretty(exit.cause) };
    }
    const e = error.value as {
      _tag?: string;
      reason?: { _tag?: string; reason?: { _tag?: string } };
    };
    // A PipelineError wraps a StoreError wraps the reason: report the innermost.
    const reason = e.reason?.reason?._tag ?? e.reason?._tag;
    return {
      op,
      expect,
      ok: false,
      ...(e._tag === undefined ? {} : { tag: e._tag }),
      ...(reason === undefined ? {} : { reason }),
      message: (error.value as Error).message,
    };
  });

const written = step({
  name: "read_only_probe",
  version: "1",
  outputs: { x: Json },
  run: () => ({ x: Date.now() }),
});

/** Runs every check against the read-only store at `root`; `dest` is a read-only directory. */
export const readOnlyChecks = (
  root: string,
  dest: string,
  prepared: Prepared,
): Promise<Outcome[]> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const store = yield* ObjectStore;
      const out: Outcome[] = [];
      const add = function* <A, E>(op: string, expect: "fail" | "ok", e: Effect.Effect<A, E>) {
        out.push(yield* outcome(op, expect, e));
      };
      yield* add("readBlob", "ok", store.readBlob(prepared.blob));
      yield* add("readRef", "ok", store.readRef("scenarios/kept"));
      yield* add("listRefs", "ok", store.listRefs());
      yield* add("reflog", "ok", store.reflog("scenarios/kept"));
      yield* add("index get", "ok", store.index("cache").get("key"));
      yield* add(
        "lineage view",
        "ok",
        loadLineageView.pipe(Effect.provideService(ObjectStore, store)),
      );
      yield* add("putBlob", "fail", store.putBlob(te.encode(`new ${Math.random()}`)));
      yield* add("putRecord", "fail", store.putRecord({ type: "note", at: Math.random() }));
      yield* add(
        "updateRef",
        "fail",
        store.updateRef("scenarios/new", prepared.blob, { message: "x" }),
      );
      yield* add("index append", "fail", store.index("cache").append("new", prepared.blob));
      yield* add("materialize", "fail", store.materialize(prepared.blob, `${dest}/out`));
      yield* add("gc", "fail", store.gc({ graceMs: 0 }));
      yield* add(
        "step run",
        "fail",
        Effect.provide(written({}), Pipeline.layerDisk({ root, create: false })),
      );
      yield* add(
        "open new store",
        "fail",
        Effect.provide(Effect.void, ObjectStore.layer({ root: `${dest}/new-store` })),
      );
      return out;
    }).pipe(Effect.provide(ObjectStore.layer({ root, create: false }))),
  );

if (import.meta.main) {
  const [root, dest, blob] = Deno.args;
  Deno.env.set("CAIRN_PROGRESS", "0");
  console.log(JSON.stringify(await readOnlyChecks(root!, dest!, { blob: blob! })));
}
