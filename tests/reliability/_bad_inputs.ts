// Seeded generators of bad input for the reliability tests, and the checks every
// case shares: the failure is a typed error in the Effect error channel (not a
// defect), and nothing outside the store changed.
//
// The seed comes from $CAIRN_TEST_SEED, else is drawn at random; every file prints
// it with its case counts, so a failing run can be repeated exactly.
import assert from "node:assert/strict";
import * as Cause from "effect/Cause";
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import * as Option from "effect/Option";

/** The seed of this process: `$CAIRN_TEST_SEED`, else random. */
export const SEED: number = (() => {
  const given = Deno.env.get("CAIRN_TEST_SEED");
  return given ? Number(given) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
})();

/** A small seeded PRNG (mulberry32) with the draws the generators need. */
export class Rng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => this.int(256));
  }
  /** An identifier-like name: letters, digits, `_`. */
  word(min = 1, max = 8): string {
    const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
    let s = this.pick("abcdefghijklmnopqrstuvwxyz".split(""));
    for (let i = this.range(min, max) - 1; i > 0; i--) s += this.pick(chars.split(""));
    return s;
  }
  /** A random id-shaped string (64 hex characters). */
  hexId(): string {
    let s = "";
    for (let i = 0; i < 64; i++) s += "0123456789abcdef"[this.int(16)];
    return s;
  }
}

/** An Rng for one family: families draw independently, so adding one shifts no other. */
export const rngFor = (family: string): Rng => {
  let h = SEED ^ 0x9e3779b9;
  for (const c of family) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return new Rng(h);
};

/** Counts cases per family and prints them with the seed. */
export class Tally {
  readonly counts = new Map<string, number>();
  constructor(readonly file: string) {}
  add(family: string, n = 1): void {
    this.counts.set(family, (this.counts.get(family) ?? 0) + n);
  }
  get total(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }
  print(): void {
    const lines = [...this.counts].map(([f, n]) => `  ${f}: ${n}`);
    console.log(
      `${this.file}: seed ${SEED} (repeat with CAIRN_TEST_SEED=${SEED}), ${this.total} cases\n${
        lines.join("\n")
      }`,
    );
  }
}

/** A failure message that says which case failed and how to repeat it. */
export const where = (family: string, i: number, detail: unknown): string =>
  `${family} case ${i} (CAIRN_TEST_SEED=${SEED}): ${
    typeof detail === "string" ? detail : Deno.inspect(detail, { depth: 4 })
  }`;

/**
 * Runs `effect` and returns the error it fails with; throws when it succeeds or
 * dies (a defect is a crash, not a typed error).
 */
export const failureOf = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  context: string,
): Effect.Effect<E, never, R> =>
  Effect.map(Effect.exit(effect), (exit) => {
    if (Exit.isSuccess(exit)) {
      throw new assert.AssertionError({
        message: `${context}: expected a typed failure, got success ${
          Deno.inspect(exit.value, { depth: 2 })
        }`,
      });
    }
    const error = Cause.findErrorOption(exit.cause);
    if (Cause.hasDies(exit.cause) || Option.isNone(error)) {
      throw new assert.AssertionError({
        message: `${context}: expected a typed failure, got a defect:\n${Cause.pretty(exit.cause)}`,
      });
    }
    return error.value;
  });

/** `_tag` of the error and, for an error with a `reason`, of the reason. */
export const tagsOf = (error: unknown): { tag: string; reason: string | undefined } => {
  const e = error as { _tag?: string; reason?: { _tag?: string } };
  return { tag: e._tag ?? "(untagged)", reason: e.reason?._tag };
};

/** Asserts `error` is `tag` with a reason among `reasons`, and returns its message. */
export const expectTyped = (
  error: unknown,
  tag: string,
  reasons: readonly string[],
  context: string,
): string => {
  const got = tagsOf(error);
  assert.equal(got.tag, tag, `${context}: error tag (${(error as Error).message})`);
  assert.ok(
    got.reason !== undefined && reasons.includes(got.reason),
    `${context}: reason ${got.reason} not in ${reasons.join("|")} (${(error as Error).message})`,
  );
  return (error as Error).message;
};

/** Messages follow "Cannot X: detail" (sentence case, no final period). */
export const assertSentence = (message: string, context: string): void => {
  assert.match(
    message,
    /^Cannot [a-z]/,
    `${context}: message does not start "Cannot ": ${message}`,
  );
  assert.ok(message.includes(": "), `${context}: message has no detail: ${message}`);
  assert.ok(!message.endsWith("."), `${context}: message ends with a period: ${message}`);
};

// --- Sandboxes: a store next to directories it must never touch --------------

/** A temp dir holding a store, an "outside" area and a parent for materialize targets. */
export interface Sandbox {
  /** The directory every check snapshots (it holds everything below). */
  readonly root: string;
  readonly store: string;
  /** Files a symlink attack would point at; must never change. */
  readonly outside: string;
  /** Where materialize targets go (`<destParent>/out-N`). */
  readonly destParent: string;
}

/** Creates a sandbox three levels deep, so `../../..` escapes still land inside it. */
export const makeSandbox = (prefix: string): Sandbox => {
  const root = Deno.makeTempDirSync({ prefix: `cairn-${prefix}-` });
  const zone = `${root}/a/b`;
  Deno.mkdirSync(`${zone}/dest`, { recursive: true });
  Deno.mkdirSync(`${root}/outside/dir`, { recursive: true });
  Deno.writeTextFileSync(`${root}/outside/secret.txt`, "outside bytes\n");
  Deno.writeTextFileSync(`${root}/outside/dir/keep.txt`, "keep\n");
  return { root, store: `${zone}/store`, outside: `${root}/outside`, destParent: `${zone}/dest` };
};

/** Removes a sandbox (undoing read-only modes first). */
export const removeSandbox = (box: Sandbox): void => {
  new Deno.Command("chmod", { args: ["-R", "u+w", box.root] }).outputSync();
  Deno.removeSync(box.root, { recursive: true });
};

/** path → "kind size mode mtime [link target]" for everything under `dir`. */
export type Snapshot = Map<string, string>;

/** Snapshots `dir`, leaving out paths under `exclude` (absolute). */
export const snapshot = (dir: string, exclude: readonly string[] = []): Snapshot => {
  const out: Snapshot = new Map();
  const walk = (path: string): void => {
    if (exclude.includes(path)) return;
    const info = Deno.lstatSync(path);
    const kind = info.isSymlink
      ? "link"
      : info.isDirectory
      ? "dir"
      : info.isFile
      ? "file"
      : "other";
    const link = info.isSymlink ? ` -> ${Deno.readLinkSync(path)}` : "";
    // A directory's own mtime changes when entries come and go, which the entries show.
    const mtime = info.isDirectory ? "" : ` ${info.mtime?.getTime()}`;
    out.set(path, `${kind} ${info.isDirectory ? "" : info.size} ${info.mode}${mtime}${link}`);
    if (info.isDirectory) { for (const e of Deno.readDirSync(path)) walk(`${path}/${e.name}`); }
  };
  walk(dir);
  return out;
};

/** Asserts two snapshots are equal, naming what was added, removed or changed. */
export const assertSameTree = (before: Snapshot, after: Snapshot, context: string): void => {
  const changes: string[] = [];
  for (const [path, sig] of after) {
    if (!before.has(path)) changes.push(`added ${path}`);
    else if (before.get(path) !== sig) {
      changes.push(`changed ${path}: ${before.get(path)} → ${sig}`);
    }
  }
  for (const path of before.keys()) if (!after.has(path)) changes.push(`removed ${path}`);
  assert.deepEqual(changes, [], `${context}: the file system changed outside the store`);
};

/** Files left in the store's `tmp/` (scratch that a failed operation did not clean up). */
export const tmpLeftovers = (store: string): string[] => {
  const out: string[] = [];
  try {
    for (const e of Deno.readDirSync(`${store}/tmp`)) if (e.name !== "sessions") out.push(e.name);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out;
};

// --- Config values ------------------------------------------------------------

/** A bad value, what the error must say about it, and whether it needs a container. */
export interface BadValue {
  readonly kind: string;
  readonly make: (ancestors: readonly object[]) => unknown;
  readonly detail: RegExp;
  /** Where below the planted value the error points (a getter's member name). */
  readonly suffix?: string;
}

const namedClass = (name: string): new () => object => ({ [name]: class {} })[name]!;

/** Values a step or scenario config must refuse, by kind. */
export const badConfigValues = (r: Rng): BadValue[] => {
  const className = r.word(3, 10).replace(/^./, (c) => c.toUpperCase());
  return [
    { kind: "arrow function", make: () => () => 1, detail: /is a function/ },
    { kind: "function", make: () => function named() {}, detail: /is a function/ },
    { kind: "async function", make: () => async () => {}, detail: /is a function/ },
    { kind: "class", make: () => namedClass(className), detail: /is a function/ },
    { kind: "symbol", make: () => Symbol(r.word()), detail: /is a symbol/ },
    { kind: "NaN", make: () => NaN, detail: /is NaN/ },
    { kind: "Infinity", make: () => Infinity, detail: /is Infinity/ },
    { kind: "-Infinity", make: () => -Infinity, detail: /is -Infinity/ },
    { kind: "0/0", make: () => 0 / 0, detail: /is NaN/ },
    {
      kind: "cycle",
      make: (ancestors) => ancestors[r.int(ancestors.length)],
      detail: /cycle/,
    },
    { kind: "invalid Date", make: () => new Date(NaN), detail: /invalid Date/ },
    {
      kind: "custom class",
      make: () => new (namedClass(className))(),
      detail: new RegExp(`${className} instance`),
    },
    { kind: "anonymous class", make: () => new (class {})(), detail: /class instance/ },
    { kind: "RegExp", make: () => /x+/g, detail: /RegExp instance/ },
    { kind: "Error", make: () => new Error("e"), detail: /Error instance/ },
    { kind: "Promise", make: () => Promise.resolve(1), detail: /Promise instance/ },
    { kind: "WeakMap", make: () => new WeakMap(), detail: /WeakMap instance/ },
    { kind: "Float64Array", make: () => new Float64Array(2), detail: /Float64Array instance/ },
    { kind: "ArrayBuffer", make: () => new ArrayBuffer(4), detail: /ArrayBuffer instance/ },
    { kind: "URL", make: () => new URL("https://example.org/"), detail: /URL instance/ },
    { kind: "boxed number", make: () => new Number(1), detail: /Number instance/ },
    {
      kind: "throwing getter",
      make: () => ({
        get value() {
          throw new Error("getter exploded");
        },
      }),
      detail: /cannot be read: getter exploded/,
      suffix: ".value",
    },
    {
      kind: "throwing proxy",
      make: () =>
        new Proxy({}, {
          ownKeys() {
            throw new Error("proxy trap");
          },
        }),
      detail: /cannot be read: proxy trap/,
    },
    {
      kind: "deep nesting",
      make: () => {
        let deep: unknown = 1;
        for (let i = r.range(1100, 30000); i > 0; i--) deep = r.chance(0.5) ? [deep] : { d: deep };
        return deep;
      },
      detail: /nested more than \d+ levels deep/,
    },
  ];
};

/** A value every config accepts (with tagged encodings for Date, Map, Set, bytes, bigint). */
export const goodConfigValue = (r: Rng): unknown =>
  r.pick<() => unknown>([
    () => r.int(1000) - 500,
    () => r.next() * 1e6,
    () => r.word(),
    () => r.chance(0.5),
    () => null,
    () => undefined,
    () => new Date(r.int(2 ** 40)),
    () => BigInt(r.int(1e9)) * 10n ** 20n,
    () => new Uint8Array(r.bytes(r.int(5))),
    () => new Map([[r.word(), r.int(9)]]),
    () => new Set([r.int(9), r.word()]),
    () => [1, undefined, 2],
  ])();

/** A config with one bad value at a random path, and the path the error must name. */
export interface BadConfig {
  readonly kind: string;
  readonly value: unknown;
  /** The path below the root (`.mode.beta[2]`); the error names `<root><path>`. */
  readonly path: string;
  readonly detail: RegExp;
}

/**
 * Builds random containers (plain and null-prototype objects, arrays, Maps, Sets)
 * down to a random depth with good siblings at every level, and plants `bad` there.
 */
export const badConfig = (r: Rng, bad: BadValue): BadConfig => {
  const ancestors: object[] = [];
  const depth = r.range(0, 5);
  // Build top-down: each level returns (container, path segment) and a setter for its slot.
  let path = "";
  let top: unknown;
  let attach: (value: unknown) => void = (v) => (top = v);
  for (let level = 0; level < depth; level++) {
    const shape = r.pick(["object", "null-proto", "array", "map", "set"] as const);
    let container: object;
    let nextAttach: (value: unknown) => void;
    let segment: string;
    if (shape === "object" || shape === "null-proto") {
      const obj: Record<string, unknown> = shape === "object" ? {} : Object.create(null);
      for (let i = r.int(3); i > 0; i--) obj[r.word()] = goodConfigValue(r);
      const key = r.chance(0.2) ? `$${r.word()}` : r.word();
      segment = `.${key}`;
      nextAttach = (v) => (obj[key] = v);
      container = obj;
    } else if (shape === "array") {
      const arr: unknown[] = Array.from({ length: r.int(3) }, () => goodConfigValue(r));
      const at = arr.length;
      segment = `[${at}]`;
      nextAttach = (v) => (arr[at] = v);
      container = arr;
    } else if (shape === "map") {
      const map = new Map<unknown, unknown>();
      for (let i = r.int(3); i > 0; i--) map.set(`k${i}${r.word()}`, goodConfigValue(r));
      const key = r.word();
      segment = `.get(${JSON.stringify(key)})`;
      nextAttach = (v) => map.set(key, v);
      container = map;
    } else {
      const set = new Set<unknown>();
      for (let i = r.int(3); i > 0; i--) set.add(`s${i}${r.word()}`);
      const at = set.size;
      segment = `<item ${at}>`;
      nextAttach = (v) => set.add(v);
      container = set;
    }
    attach(container);
    ancestors.push(container);
    attach = nextAttach;
    path += segment;
  }
  const value = bad.kind === "cycle" && ancestors.length === 0
    ? undefined // a cycle needs a container: handled below
    : bad.make(ancestors);
  if (bad.kind === "cycle" && ancestors.length === 0) {
    const self: Record<string, unknown> = {};
    self.me = self;
    return { kind: bad.kind, value: self, path: ".me", detail: bad.detail };
  }
  attach(value);
  return { kind: bad.kind, value: top, path: path + (bad.suffix ?? ""), detail: bad.detail };
};

/** Values the store's canonical JSON refuses in a record, with the detail expected. */
export const badRecordValues = (r: Rng): BadValue[] => [
  { kind: "undefined", make: () => undefined, detail: /undefined is not JSON/ },
  { kind: "function", make: () => () => 1, detail: /a function is not JSON/ },
  { kind: "symbol", make: () => Symbol(r.word()), detail: /a symbol is not JSON/ },
  { kind: "bigint", make: () => BigInt(r.int(1e6)), detail: /a bigint is not JSON/ },
  { kind: "NaN", make: () => NaN, detail: /NaN is not a finite number/ },
  { kind: "Infinity", make: () => Infinity, detail: /Infinity is not a finite number/ },
  { kind: "-Infinity", make: () => -Infinity, detail: /-Infinity is not a finite number/ },
  { kind: "cycle", make: (a) => a[r.int(a.length)], detail: /cycle/ },
  { kind: "Date", make: () => new Date(0), detail: /Date instance is not plain JSON/ },
  { kind: "Map", make: () => new Map(), detail: /Map instance is not plain JSON/ },
  { kind: "Set", make: () => new Set([1]), detail: /Set instance is not plain JSON/ },
  { kind: "Uint8Array", make: () => new Uint8Array(2), detail: /Uint8Array instance/ },
  {
    kind: "deep nesting",
    make: () => {
      let deep: unknown = 1;
      for (let i = r.range(1100, 30000); i > 0; i--) deep = r.chance(0.5) ? [deep] : { d: deep };
      return deep;
    },
    detail: /nested more than \d+ levels deep/,
  },
];

/** A record (`type` set) with one bad value at a random path below `$`. */
export const badRecord = (r: Rng, bad: BadValue): BadConfig => {
  const record: Record<string, unknown> = { type: r.word() };
  for (let i = r.int(3); i > 0; i--) record[`f${i}`] = r.pick([1, "x", true, null, [1, 2]]);
  const ancestors: object[] = [record];
  let path = "";
  let attach: (v: unknown) => void;
  {
    const key = `z${r.word()}`; // after "type" and the f-fields in sorted order
    path = `.${key}`;
    attach = (v) => (record[key] = v);
  }
  for (let level = r.int(4); level > 0; level--) {
    if (r.chance(0.5)) {
      const obj: Record<string, unknown> = { a: r.int(9) };
      const key = `z${r.word()}`;
      attach(obj);
      ancestors.push(obj);
      attach = (v) => (obj[key] = v);
      path += `.${key}`;
    } else {
      const arr: unknown[] = Array.from({ length: r.int(3) }, () => r.int(9));
      const at = arr.length;
      attach(arr);
      ancestors.push(arr);
      attach = (v) => (arr[at] = v);
      path += `[${at}]`;
    }
  }
  attach(bad.make(ancestors));
  return { kind: bad.kind, value: record, path, detail: bad.detail };
};

// --- Bytes --------------------------------------------------------------------

/** Ways to damage an object file's bytes; each returns bytes that differ from `bytes`. */
export const damage = (
  r: Rng,
  bytes: Uint8Array,
  other: Uint8Array,
): { kind: string; bytes: Uint8Array } => {
  const kinds = ["flip", "truncate", "append", "swap", "empty", "zero-fill"].filter((k) =>
    (k !== "truncate" && k !== "empty" && k !== "flip") || bytes.length > 0
  );
  const kind = r.pick(kinds);
  const out = (() => {
    switch (kind) {
      case "flip": {
        const copy = bytes.slice();
        const at = r.int(copy.length);
        copy[at] = copy[at]! ^ (1 << r.int(8));
        return copy;
      }
      case "truncate":
        return bytes.slice(0, r.int(bytes.length));
      case "append":
        return Uint8Array.from([...bytes, ...r.bytes(r.range(1, 64))]);
      case "swap":
        return other;
      case "empty":
        return new Uint8Array();
      default:
        return new Uint8Array(bytes.length || 1);
    }
  })();
  const same = out.length === bytes.length && out.every((b, i) => b === bytes[i]);
  return same
    ? { kind: `${kind}+append`, bytes: Uint8Array.from([...out, 0x0a]) }
    : { kind, bytes: out };
};

const te = new TextEncoder();

/** Record payloads that hash fine but do not decode as a record, with what must be said. */
export const garbledRecordPayload = (r: Rng): { kind: string; payload: Uint8Array } => {
  const valid = JSON.stringify({ type: r.word(), n: r.int(99), links: [] });
  const options: [string, () => Uint8Array][] = [
    ["truncated JSON", () => te.encode(valid.slice(0, r.range(1, valid.length - 1)))],
    ["trailing garbage", () => te.encode(`${valid}${r.pick(["x", "}", ",", "{}"])}`)],
    ["invalid UTF-8", () => Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
    ["array", () => te.encode(`[${r.int(9)}]`)],
    ["no type", () => te.encode(JSON.stringify({ n: r.int(9) }))],
    ["empty type", () => te.encode(JSON.stringify({ type: "" }))],
    ["numeric type", () => te.encode(JSON.stringify({ type: r.int(9) }))],
    ["links not array", () => te.encode(JSON.stringify({ type: "run", links: r.hexId() }))],
    [
      "links not ids",
      () => te.encode(JSON.stringify({ type: "run", links: [r.hexId().slice(0, r.int(63))] })),
    ],
    [
      "uppercase link",
      () => te.encode(JSON.stringify({ type: "run", links: [r.hexId().toUpperCase()] })),
    ],
    ["random bytes", () => Uint8Array.from([0x7b, ...r.bytes(r.range(1, 40))])],
    ["NUL inside", () => te.encode(`{"type":"a"\0}`)],
  ];
  const [kind, make] = r.pick(options);
  return { kind, payload: make() };
};

/** Lines that must never be read back as index entries. */
export const garbledIndexLine = (
  r: Rng,
  valid: string,
  checksum: (s: string) => string,
): { kind: string; line: string } => {
  const body = valid.slice(0, valid.lastIndexOf("\t"));
  const crc = valid.slice(valid.lastIndexOf("\t") + 1);
  const flipChar = (s: string, from: number): string => {
    const at = from + r.int(s.length - from);
    const c = s.charCodeAt(at);
    let next = 33 + r.int(90);
    if (next === c || next === 9) next = c === 65 ? 66 : 65;
    return s.slice(0, at) + String.fromCharCode(next) + s.slice(at + 1);
  };
  const options: [string, () => string][] = [
    ["flipped body byte", () => `${flipChar(body, 0)}\t${crc}`],
    ["flipped checksum", () => `${body}\t${flipChar(crc, 0)}`],
    ["truncated", () => valid.slice(0, r.range(1, valid.length - 1))],
    ["no checksum", () => body],
    ["checksum of another body", () => `${body}\t${checksum(`${body}x`)}`],
    ["uppercase checksum", () => `${body}\t${crc.toUpperCase()}`],
    ["extra field", () => `${body}\textra\t${crc}`],
    ["empty key", () => `\t${body.slice(body.indexOf("\t") + 1)}\t${checksum(`\t${body}`)}x`],
    [
      "random text",
      () =>
        Array.from({ length: r.range(1, 60) }, () => r.pick(["a", "\t", " ", "0", "é", "\0"])).join(
          "",
        ),
    ],
    ["CR inside", () => `${body}\r\t${crc}`],
    ["space for tab", () => `${body.replace("\t", " ")}\t${crc}`],
  ];
  const [kind, make] = r.pick(options);
  let line = make();
  // A garbled line that still checks would be a wrong test, not a store bug.
  for (let guard = 0; isValidIndexLine(line, checksum) || line.includes("\n"); guard++) {
    line = `${line.replace(/\n/g, "")}#`;
    if (guard > 3) line = "#garbled";
  }
  return { kind, line };
};

const isValidIndexLine = (line: string, checksum: (s: string) => string): boolean => {
  const last = line.lastIndexOf("\t");
  if (last < 0 || line.length - last !== 9) return false;
  const body = line.slice(0, last);
  return checksum(body) === line.slice(last + 1) && body.indexOf("\t") > 0;
};

// --- Names --------------------------------------------------------------------

/** A ref name outside the documented rules, and which rule it breaks. */
export const badRefName = (r: Rng): { kind: string; name: string } => {
  const seg = () => r.word(1, 10);
  const segs = () => Array.from({ length: r.range(1, 3) }, seg);
  const insert = (s: string, piece: string) => {
    const at = r.int(s.length + 1);
    return s.slice(0, at) + piece + s.slice(at);
  };
  const options: [string, () => string][] = [
    ["..", () => {
      const s = segs();
      s.splice(r.int(s.length + 1), 0, "..");
      return s.join("/");
    }],
    [".. inside a segment", () => insert(segs().join("/"), "..")],
    ["leading /", () => `/${segs().join("/")}`],
    ["NUL", () => insert(segs().join("/"), "\0")],
    [
      "control character",
      () =>
        insert(segs().join("/"), String.fromCharCode(r.pick([1, 7, 8, 9, 10, 13, 27, 31, 127]))),
    ],
    [
      "very long",
      () =>
        Array.from({ length: r.range(21, 400) }, () => "abcdefghi").join("/").slice(
          0,
          r.range(201, 4000),
        ),
    ],
    [".lock suffix", () => {
      const s = segs();
      s[r.int(s.length)] += ".lock";
      return s.join("/");
    }],
    ["empty component", () => {
      const s = segs();
      s.splice(r.int(s.length + 1), 0, "");
      return s.join("/") || "/";
    }],
    ["trailing /", () => `${segs().join("/")}/`],
    ["leading . segment", () => {
      const s = segs();
      s[r.int(s.length)] = `.${seg()}`;
      return s.join("/");
    }],
    [
      "outside the charset",
      () =>
        insert(
          segs().join("/"),
          r.pick([" ", "~", "^", ":", "?", "*", "[", "\\", "@{", "é", "\u{1F600}", "'", '"']),
        ),
    ],
    ["empty", () => ""],
  ];
  const [kind, make] = r.pick(options);
  return { kind, name: make() };
};

/** A tree entry (raw bytes) that must be refused when decoded, with the reasons allowed. */
export const badTreeEntry = (
  r: Rng,
  blobId: Uint8Array,
): { kind: string; bytes: Uint8Array; reasons: string[]; name: string } => {
  const entry = (mode: string, name: string | Uint8Array, id = blobId): Uint8Array => {
    const n = typeof name === "string" ? te.encode(name) : name;
    return Uint8Array.from([...te.encode(`${mode} `), ...n, 0, ...id]);
  };
  const unsafe = ["UnsafePath"];
  const invalid = ["InvalidObject"];
  const options: [string, () => { bytes: Uint8Array; reasons: string[]; name: string }][] = [
    ["..", () => ({ bytes: entry("100644", ".."), reasons: unsafe, name: ".." })],
    [".", () => ({ bytes: entry("40000", "."), reasons: unsafe, name: "." })],
    ["../x", () => {
      const name = `${"../".repeat(r.range(1, 4))}${r.word()}`;
      return { bytes: entry("100644", name), reasons: unsafe, name };
    }],
    ["absolute", () => {
      const name = `/${r.pick(["etc", "tmp", "root"])}/${r.word()}`;
      return { bytes: entry("100644", name), reasons: unsafe, name };
    }],
    ["slash inside", () => {
      const name = `${r.word()}/${r.word()}`;
      return { bytes: entry(r.pick(["100644", "100755", "40000"]), name), reasons: unsafe, name };
    }],
    ["backslash", () => {
      const name = `..\\${r.word()}`;
      return { bytes: entry("100644", name), reasons: unsafe, name };
    }],
    ["empty name", () => ({ bytes: entry("100644", ""), reasons: unsafe, name: "" })],
    ["NUL in name", () => {
      const name = `${r.word()}\0${r.word()}`;
      return {
        bytes: entry("100644", name),
        reasons: [...invalid, ...unsafe],
        name: name.split("\0")[0]!,
      };
    }],
    [
      "symlink mode",
      () => ({ bytes: entry("120000", r.word()), reasons: invalid, name: "120000" }),
    ],
    [
      "gitlink mode",
      () => ({ bytes: entry("160000", r.word()), reasons: invalid, name: "160000" }),
    ],
    [
      "group-writable mode",
      () => ({ bytes: entry("100664", r.word()), reasons: invalid, name: "100664" }),
    ],
    ["truncated id", () => {
      const full = entry("100644", r.word());
      return {
        bytes: full.slice(0, full.length - r.range(1, 31)),
        reasons: invalid,
        name: "truncated",
      };
    }],
    ["no mode", () => ({ bytes: te.encode(r.word()), reasons: invalid, name: "no mode" })],
    [
      "invalid UTF-8 name",
      () => ({
        bytes: entry("100644", Uint8Array.from([0xff, 0xfe, 0x41])),
        reasons: invalid,
        name: "UTF-8",
      }),
    ],
  ];
  const [kind, make] = r.pick(options);
  return { kind, ...make() };
};
