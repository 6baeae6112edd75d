// A command's declared sources: the files and directories of the project whose bytes
// enter its key — a file by its blob id, a directory by its tree id — found through
// the store's stat cache, so an unchanged script is not re-read on every invocation.
// `__pycache__` directories are left out of a directory's tree: Python writes them
// next to the modules it imports, and they are derived from the sources they sit
// beside. On a miss the same walk stores every file and tree (the run record links
// them: provenance, and `why` names the file in a directory that changed) and its
// ids are compared with the key's, so a source edited while the program ran makes
// the run uncached rather than cached under the wrong key.
import * as Effect from "effect/Effect";
import { hashObject, type ObjectId } from "../../store/object_id.ts";
import type { StoreError } from "../../store/errors.ts";
import { encodeTree, type TreeEntry } from "../../store/tree.ts";
import { InvalidStep, type PipelineError, pipelineError } from "./errors.ts";
import type { PipelineApi } from "./pipeline.ts";

/** Sources as they enter a key, and every file they hold. */
export interface SourceIds {
  /** Declared path (`py/bpr.py`, a directory with a trailing `/`) → blob or tree id. */
  readonly key: Record<string, string>;
  /** Every file of the directory sources: project path → blob id (explains a change). */
  readonly files: Record<string, string>;
  /** Every object the sources are made of (stored on a miss; the run record links them). */
  readonly objects: readonly ObjectId[];
}

const SKIPPED = new Set(["__pycache__"]);

/**
 * Why `path` cannot be a declared source (relative to the project, inside it, not
 * in the work directory's own `in/` and `out/`), or undefined.
 */
export const sourcePathProblem = (path: string): string | undefined => {
  const parts = path.replace(/\/$/, "").split("/");
  if (path === "" || path.startsWith("/")) {
    return `source "${path}" must be a path relative to the project root`;
  }
  if (parts.some((p) => p === ".." || p === "." || p === "")) {
    return `source "${path}" must be a plain relative path (no "..", "." or "//")`;
  }
  if (parts[0] === "in" || parts[0] === "out") {
    const kept = parts[0] === "in" ? "inputs" : "outputs";
    return `source "${path}" is inside "${
      parts[0]
    }/", which the command's work directory keeps for its ${kept}`;
  }
  return undefined;
};

const failure = (step: string, detail: string) => pipelineError(new InvalidStep({ step, detail }));

/**
 * The ids of `sources` (paths relative to `root`); with `store`, their objects are
 * written to the store as well.
 */
export const sourceIds = (
  pipeline: PipelineApi,
  step: string,
  root: string,
  sources: readonly string[],
  store: boolean,
): Effect.Effect<SourceIds, PipelineError> =>
  Effect.gen(function* () {
    const key: Record<string, string> = {};
    const files: Record<string, string> = {};
    const objects: ObjectId[] = [];
    const fileId = (rel: string, abs: string) =>
      Effect.gen(function* () {
        const { id } = yield* pipeline.store.fileId(abs);
        if (!store) return id;
        // Protected before the check: an old copy found now survives a concurrent gc.
        if (yield* pipeline.store.protect([id])) return id;
        return (yield* pipeline.store.putFile(abs)).id;
      }).pipe(Effect.mapError((e: StoreError) =>
        failure(step, `cannot read source "${rel}": ${e.message}`)
      ));
    const dirId = (rel: string, abs: string): Effect.Effect<ObjectId, PipelineError> =>
      Effect.gen(function* () {
        const entries: TreeEntry[] = [];
        const list = yield* Effect.try({
          try: () => [...Deno.readDirSync(abs)],
          catch: (e) =>
            failure(step, `cannot list source directory "${rel}": ${message(e)}`),
        });
        for (const entry of list) {
          if (SKIPPED.has(entry.name)) continue;
          const childRel = `${rel}${entry.name}`;
          const childAbs = `${abs}/${entry.name}`;
          if (entry.isSymlink) {
            return yield* Effect.fail(
              failure(
                step,
                `source "${childRel}" is a symbolic link, which is not read as a source; declare the file it points to instead`,
              ),
            );
          }
          if (entry.isDirectory) {
            entries.push({
              name: entry.name,
              mode: "directory",
              id: yield* dirId(`${childRel}/`, childAbs),
            });
          } else if (entry.isFile) {
            const id = yield* fileId(childRel, childAbs);
            files[childRel] = id;
            objects.push(id);
            const mode = yield* Effect.try({
              try: () => Deno.statSync(childAbs).mode ?? 0,
              catch: (e) => failure(step, `cannot read source "${childRel}": ${message(e)}`),
            });
            entries.push({
              name: entry.name,
              mode: (mode & 0o111) !== 0 ? "executable" : "file",
              id,
            });
          }
        }
        const bytes = yield* Effect.try({
          try: () => encodeTree(entries),
          catch: (e) => failure(step, `cannot read source directory "${rel}": ${message(e)}`),
        });
        const id = store
          ? (yield* Effect.mapError(
            pipeline.store.put("tree", bytes),
            (e) => failure(step, `cannot store source directory "${rel}": ${e.message}`),
          )).id
          : hashObject("tree", bytes);
        objects.push(id);
        return id;
      });

    for (const declared of sources) {
      const rel = declared.replace(/\/$/, "");
      const abs = `${root}/${rel}`;
      const info = yield* Effect.try({
        try: () => Deno.lstatSync(abs),
        catch: () =>
          failure(
            step,
            `its source "${declared}" does not exist (sources are relative to the project root, ${root})`,
          ),
      });
      if (info.isSymlink) {
        return yield* Effect.fail(
          failure(
            step,
            `its source "${declared}" is a symbolic link; declare the path it points to`,
          ),
        );
      }
      if (info.isDirectory) {
        key[`${rel}/`] = yield* dirId(`${rel}/`, abs);
      } else {
        const id = yield* fileId(rel, abs);
        key[rel] = id;
        objects.push(id);
      }
    }
    return { key, files, objects };
  });

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
