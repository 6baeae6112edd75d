/**
 * The cache key — the one place that decides "run it again" or "reuse it".
 *
 * key = SHA-256 over `"cairn-key\0"` + the canonical JSON of:
 *
 * 1. `format`: cairn's own key-format version ({@linkcode KEY_FORMAT});
 * 2. `step` and `signature`: the step's name and declared inputs/outputs (codecs);
 * 3. `code`: the code identity (see `code_identity.ts`) — its hash only; the
 *    units it was computed from are kept in the run record to explain misses;
 * 4. `config`: the canonical config (see `canonical_config.ts`);
 * 5. `inputs`: the content id of every input, `null` for an absent optional
 *    input. Step outputs enter by object id, so an upstream re-run that produces
 *    identical bytes leaves downstream keys unchanged (early cutoff); external
 *    files enter by their stat-cached content id — never by path;
 * 6. `iteration`: the iteration index, or `null` for steps declared
 *    `iterationInvariant` and steps outside `iterate`;
 * 7. `env`: the values of the declared environment variables (`null` if unset);
 * 8. for a `command` step only (a plain step has none of these members, so its key
 *    is what it always was): `argv`, the command line with its inputs and outputs
 *    as paths relative to the program's work directory (`in/volumes.csv`, never an
 *    absolute or scratch path); `files`, where each input and output is staged;
 *    `sources`, each declared source file's blob id and each declared directory's
 *    tree id; `tools`, each declared tool's executable content (and a version
 *    probe's output); `image`, the container image ID (`null` without one).
 *
 * The scenario name is not part of the key: a new scenario reuses the runs of an
 * earlier one wherever code, config and inputs agree. No absolute path enters.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { encodeCanonicalJson, type JsonValue } from "../../store/canonical_json.ts";

/** Version of the key format; bump to invalidate every cached run. */
export const KEY_FORMAT = "cairn-key/1";

/** Everything a key is computed from. */
export interface KeyComponents {
  /** cairn's key-format version. */
  readonly format: string;
  /** The step's name. */
  readonly step: string;
  /** The declared inputs and outputs with their codecs. */
  readonly signature: JsonValue;
  /** The code identity (its hash only). */
  readonly code: { readonly mode: string; readonly identity: string };
  /** The canonical config. */
  readonly config: JsonValue;
  /** Each input's content id; null for an absent optional input. */
  readonly inputs: Readonly<Record<string, string | null>>;
  /** The iteration index; null outside `iterate` and for iteration-invariant steps. */
  readonly iteration: number | null;
  /** The declared environment variables' values (null when unset). */
  readonly env: Readonly<Record<string, string | null>>;
  /** A command's command line, inputs and outputs relative to its work directory. */
  readonly argv?: readonly string[];
  /** A command's staged files: input or output name → its path in the work directory. */
  readonly files?: Readonly<Record<string, string>>;
  /** A command's declared sources: project path → blob id (a file) or tree id (`dir/`). */
  readonly sources?: Readonly<Record<string, string>>;
  /** A command's declared tools: name → executable blob id, or `{ executable, version }`. */
  readonly tools?: Readonly<Record<string, string | { executable: string; version: string }>>;
  /** A command's container image ID, or null when it runs on the host. */
  readonly image?: string | null;
}

/** The optional parts a command step adds, in the order changes are reported. */
const COMMAND_PARTS: readonly KeyChange["part"][] = ["argv", "files", "sources", "tools", "image"];

/**
 * Computes the key of a step invocation.
 *
 * @example
 * ```ts
 * import { cacheKey, KEY_FORMAT } from "./cache_key.ts"
 *
 * const key = cacheKey({
 *   format: KEY_FORMAT, step: "logsums", signature: {}, code: { mode: "version", identity: "v1" },
 *   config: { beta: 1 }, inputs: {}, iteration: 0, env: {},
 * })
 * key.length // 64
 * ```
 */
export const cacheKey = (components: KeyComponents): string =>
  createHash("sha256").update("cairn-key\0").update(
    encodeCanonicalJson(components as unknown as JsonValue),
  )
    .digest("hex");

/** The parts of a key that change between invocations of one declaration. */
export type VaryingComponents = Pick<KeyComponents, "inputs" | "iteration" | "env">;

/**
 * The key function of one declaration: the parts that never change between its
 * invocations (format, step, signature, code, config) are encoded once, and each call
 * encodes only the inputs, iteration and env and joins the pieces in canonical key
 * order — the same bytes, so the same key, as {@linkcode cacheKey} of the whole.
 *
 * @example
 * ```ts
 * import { cacheKey, KEY_FORMAT, keyEncoder } from "./cache_key.ts"
 *
 * const fixed = { format: KEY_FORMAT, step: "s", signature: {}, code: { mode: "version", identity: "v" }, config: 1 }
 * const varying = { inputs: { x: null }, iteration: 2, env: {} }
 * keyEncoder(fixed)(varying) === cacheKey({ ...fixed, ...varying }) // true
 * ```
 */
export const keyEncoder = (
  fixed: Omit<KeyComponents, keyof VaryingComponents>,
): (varying: VaryingComponents) => string => {
  const fixedJson = new Map<string, string>(
    Object.entries(fixed).map(([k, v]) => [k, encodeCanonicalJson(v as JsonValue)]),
  );
  // Canonical JSON sorts keys as Array.prototype.sort does (UTF-16 code units).
  const order = [...fixedJson.keys(), "inputs", "iteration", "env"].sort();
  return (varying) => {
    let text = "{";
    for (let i = 0; i < order.length; i++) {
      const key = order[i]!;
      if (i > 0) text += ",";
      text += JSON.stringify(key) + ":" + (fixedJson.get(key) ??
        encodeCanonicalJson(varying[key as keyof VaryingComponents] as JsonValue));
    }
    return createHash("sha256").update("cairn-key\0").update(text + "}").digest("hex");
  };
};

/** A difference between two sets of key components, for `why` and `CAIRN_DEBUG=cache`. */
export interface KeyChange {
  /** Which part of the key changed. */
  readonly part:
    | "format"
    | "step"
    | "signature"
    | "code"
    | "config"
    | "inputs"
    | "iteration"
    | "env"
    // a command's parts:
    | "argv"
    | "files"
    | "sources"
    | "tools"
    | "image";
  /** Dotted path of what changed (`config.mode.beta_time`, `inputs.skims`, `code.models.ts`). */
  readonly path: string;
  /** The earlier value (absent: the part did not exist). */
  readonly before: JsonValue | undefined;
  /** The new value (absent: the part is gone). */
  readonly after: JsonValue | undefined;
}

const isObject = (v: unknown): v is Record<string, JsonValue> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const diffValues = (
  part: KeyChange["part"],
  path: string,
  a: JsonValue | undefined,
  b: JsonValue | undefined,
  out: KeyChange[],
) => {
  if (isObject(a) && isObject(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      diffValues(part, `${path}.${key}`, a[key], b[key], out);
    }
    return;
  }
  const same = a === undefined || b === undefined
    ? a === b
    : encodeCanonicalJson(a) === encodeCanonicalJson(b);
  if (!same) out.push({ part, path, before: a, after: b });
};

/** Key components as a run record keeps them: every part JSON, the code with its units. */
export interface ComparableComponents {
  readonly format: unknown;
  readonly step: unknown;
  readonly signature: unknown;
  readonly config: unknown;
  readonly inputs: unknown;
  readonly iteration: unknown;
  readonly env: unknown;
  readonly code: {
    readonly identity: string;
    readonly units?: Readonly<Record<string, string>> | undefined;
  };
  /** A command's parts (absent for a plain step). */
  readonly argv?: unknown;
  readonly files?: unknown;
  readonly sources?: unknown;
  readonly tools?: unknown;
  readonly image?: unknown;
  /** Every file of a command's directory sources (explains a change; not hashed). */
  readonly sourceFiles?: unknown;
}

/**
 * What differs between an earlier invocation's components and a new one's.
 * Code differences are reported per unit when both sides carry `units`.
 */
export const diffComponents = (
  before: ComparableComponents,
  after: ComparableComponents,
): KeyChange[] => {
  const out: KeyChange[] = [];
  for (
    const part of ["format", "step", "signature", "config", "inputs", "iteration", "env"] as const
  ) {
    diffValues(part, part, before[part] as JsonValue, after[part] as JsonValue, out);
  }
  for (const part of COMMAND_PARTS) {
    if (part === "sources") diffSources(before, after, out);
    else if (part === "argv") diffArgv(before.argv, after.argv, out);
    else diffValues(part, part, before[part] as JsonValue, after[part] as JsonValue, out);
  }
  if (before.code.identity !== after.code.identity) {
    const a = before.code.units ?? {};
    const b = after.code.units ?? {};
    const units = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort().filter((u) =>
      a[u] !== b[u]
    );
    if (units.length === 0) {
      out.push({
        part: "code",
        path: "code",
        before: before.code.identity,
        after: after.code.identity,
      });
    }
    for (const unit of units) {
      out.push({ part: "code", path: `code.${unit}`, before: a[unit], after: b[unit] });
    }
  }
  return out;
};

const strings = (v: unknown): readonly string[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === "string") ? v : undefined;

const ids = (v: unknown): Readonly<Record<string, string>> | undefined =>
  isObject(v) && Object.values(v).every((x) => typeof x === "string")
    ? v as Record<string, string>
    : undefined;

// A command's command line: position by position when only arguments changed.
const diffArgv = (before: unknown, after: unknown, out: KeyChange[]) => {
  const a = strings(before);
  const b = strings(after);
  if (a && b && a.length === b.length) {
    a.forEach((arg, i) => {
      if (arg !== b[i]) out.push({ part: "argv", path: `argv[${i}]`, before: arg, after: b[i] });
    });
  } else diffValues("argv", "argv", before as JsonValue, after as JsonValue, out);
};

// A command's sources: a directory source that changed is reported by the files in it
// that differ (`sources.py/lib/helpers.py`) when both records list them.
const diffSources = (
  before: ComparableComponents,
  after: ComparableComponents,
  out: KeyChange[],
) => {
  if (before.sources === undefined && after.sources === undefined) return;
  const a = ids(before.sources) ?? {};
  const b = ids(after.sources) ?? {};
  const listedA = ids(before.sourceFiles);
  const listedB = ids(after.sourceFiles);
  for (const path of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (a[path] === b[path]) continue;
    const filesA = listedA ?? {};
    const filesB = listedB ?? {};
    const inside = path.endsWith("/") && a[path] && b[path] && listedA && listedB
      ? [...new Set([...Object.keys(filesA), ...Object.keys(filesB)])].sort().filter((f) =>
        f.startsWith(path) && filesA[f] !== filesB[f]
      )
      : [];
    if (inside.length === 0) {
      out.push({ part: "sources", path: `sources.${path}`, before: a[path], after: b[path] });
    }
    for (const file of inside) {
      out.push({
        part: "sources",
        path: `sources.${file}`,
        before: filesA[file],
        after: filesB[file],
      });
    }
  }
};

const ID = /^[0-9a-f]{64}$/;

/** One line per change, e.g. `config.beta: 1 → 2`, `sources.py/bpr.py: changed (1a2b… → 3c4d…)`. */
export const describeChanges = (changes: readonly KeyChange[]): string[] =>
  changes.map((c) => {
    const show = (
      v: JsonValue | undefined,
    ) => (v === undefined ? "(absent)" : JSON.stringify(v).slice(0, 80));
    if (c.part === "code") return `${c.path}: changed`;
    const id = (v: JsonValue | undefined): string =>
      v === undefined || v === null
        ? "(absent)"
        : typeof v === "string" && ID.test(v)
        ? v.slice(0, 12)
        : typeof v === "string" && v.includes("\n")
        ? show(`${v.slice(0, v.indexOf("\n"))}…`)
        : show(v);
    if (c.part === "sources" || c.part === "tools" || c.part === "image") {
      return `${c.path}: changed (${id(c.before)} → ${id(c.after)})`;
    }
    return `${c.path}: ${show(c.before)} → ${show(c.after)}`;
  });
