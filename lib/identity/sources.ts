// Source snapshots for code identity: each file is read once per process, when a
// step that depends on it is declared — during module evaluation, so the text is the
// code this process loaded, not whatever is on disk when the step first runs. Before
// a run is recorded, `changedSources` re-hashes the files an identity came from: an
// edit made while the pipeline ran means this process may hold code that no longer
// matches the files, and its result must not be cached under either version.
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { type ModuleSummary, summarizeModule, type SummaryTools } from "./module_summary.ts";

/** Bumped when the analysis changes, so identities made by another analysis differ. */
export const ANALYZER_VERSION = "3";

const sha256 = (data: string | Uint8Array): string =>
  createHash("sha256").update(data).digest("hex");

/** One file as this process first read it. */
export interface Source {
  readonly path: string;
  /** SHA-256 of the file's bytes. */
  readonly hash: string;
  readonly text: string;
  /** Whether the file is code the parser reads (else it is identified by its bytes). */
  readonly parseable: boolean;
  /** The module's summary (parsed on first use); throws when the source does not parse. */
  readonly summary: () => ModuleSummary;
}

const PARSEABLE = /\.(?:[cm]?[jt]sx?)$/;

// The parser is loaded synchronously (steps are declared synchronously, during module
// evaluation) and only when a module must be parsed.
let tools: SummaryTools | undefined;
const toolsOf = (): SummaryTools => {
  if (!tools) {
    const { parseSync } = createRequire(import.meta.url)("oxc-parser");
    tools = { parse: parseSync, sha256 };
  }
  return tools;
};

const summaries = new Map<string, ModuleSummary>();
const snapshots = new Map<string, Source>();
const decoder = new TextDecoder();

/** The snapshot of `path` (read now if this process has not read it yet). */
export const sourceOf = (path: string): Source => {
  const known = snapshots.get(path);
  if (known) return known;
  const bytes = Deno.readFileSync(path);
  const hash = sha256(bytes);
  const text = decoder.decode(bytes);
  const parseable = PARSEABLE.test(path);
  let summary: ModuleSummary | undefined;
  const source: Source = {
    path,
    hash,
    text,
    parseable,
    summary: () => {
      if (summary) return summary;
      const key = `${ANALYZER_VERSION}:${hash}`;
      summary = summaries.get(key) ?? summarizeModule(path, text, toolsOf());
      summaries.set(key, summary);
      return summary;
    },
  };
  snapshots.set(path, source);
  return source;
};

const changed = new Set<string>();

/**
 * The files among `paths` whose bytes differ now from this process's snapshot (or that
 * are gone). Files are small, so each is re-hashed rather than judged by its stat,
 * which a coarse timestamp or a skewed clock can fool. Once changed, a file stays
 * changed for this process: the code it runs is the snapshot's.
 */
export const changedSources = (paths: readonly string[]): string[] =>
  paths.filter((path) => {
    if (changed.has(path)) return true;
    const snapshot = snapshots.get(path);
    if (!snapshot) return false;
    let now: string;
    try {
      now = sha256(Deno.readFileSync(path));
    } catch {
      now = "(unreadable)";
    }
    if (now === snapshot.hash) return false;
    changed.add(path);
    return true;
  });
