// The store's `cuts` file: links cut on purpose, "<from> <to>" a line — a history a
// retention policy shortened (gc writes them), or a copy of one (a pull writes the
// remote's). fsck does not call such a link missing, nor gc, and a push or pull
// carries it along instead of looking for the object it names.
import { isObjectId, type ObjectId } from "./object_id.ts";
import { isNotFound } from "./_fs.ts";

/** Links cut on purpose: from → the links of it that were cut. */
export type Cuts = ReadonlyMap<ObjectId, ReadonlySet<ObjectId>>;

/** The cuts in the file at `path` (none when it is absent; a torn line is skipped). */
export const readCuts = (path: string): Cuts => {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (isNotFound(e)) return new Map();
    throw e;
  }
  const cuts = new Map<ObjectId, Set<ObjectId>>();
  for (const line of text.split("\n")) {
    const [from, to, extra] = line.split(" ");
    if (extra !== undefined || !from || !to || !isObjectId(from) || !isObjectId(to)) continue;
    const tos = cuts.get(from) ?? new Set<ObjectId>();
    tos.add(to);
    cuts.set(from, tos);
  }
  return cuts;
};

/**
 * Appends the pairs the file does not hold yet. Each line starts with a newline, so a
 * write torn by a full disk stays on a line of its own.
 */
export const appendCuts = (
  path: string,
  pairs: Iterable<readonly [from: ObjectId, to: ObjectId]>,
  known: Cuts = readCuts(path),
): void => {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const [from, to] of pairs) {
    const line = `${from} ${to}`;
    if (known.get(from)?.has(to) || seen.has(line)) continue;
    seen.add(line);
    lines.push(`\n${line}`);
  }
  if (lines.length > 0) Deno.writeTextFileSync(path, lines.join(""), { append: true });
};
