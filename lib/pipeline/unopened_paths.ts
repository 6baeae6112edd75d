// Naming the undeclared files a failed program could not open. Programs say which
// path they could not open in a few shapes — Python's `No such file or directory:
// 'data.txt'`, coreutils' `cat: data.txt: No such file or directory`, busybox's
// `can't open 'data.txt'`, Java's `data.txt (No such file or directory)`, R's
// `cannot open file 'data.txt'` — and a path named so is reported only when the file
// does exist outside the program's view: in the project (a relative path is resolved
// against the work directory, which mirrors the project's paths) or, absolute, on the
// host. So a typo is not blamed on the sandbox, and a file the sandbox hid is named.

/** Where the program ran and what it was shown. */
export interface Views {
  readonly workDir: string;
  /** The project root its sources are relative to. */
  readonly root: string;
  readonly sources: readonly string[];
  /** True when it ran on the host, which shows every absolute path. */
  readonly host: boolean;
}

const QUOTED = /['"‘“`]([^'"’”`\n]{1,4096})['"’”`]/g;
const COLON_FIELD =
  /(?:^|:\s*)([^:\s'"][^:'"]*?):\s*(?:\[Errno \d+\]\s*)?No such file or directory/gi;
const PAREN = /(\S+) \((?:No such file or directory|The system cannot find)/g;

const candidates = (line: string): string[] => {
  const found: string[] = [];
  for (const re of [QUOTED, COLON_FIELD, PAREN]) {
    re.lastIndex = 0;
    for (let m = re.exec(line); m; m = re.exec(line)) found.push(m[1]!.trim());
  }
  return found.filter((c) => c !== "" && !/\s{2}/.test(c) && !/^no such file/i.test(c));
};

const exists = (path: string): boolean => {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
};

const declared = (rel: string, sources: readonly string[]) =>
  sources.some((s) => {
    const source = s.replace(/\/$/, "");
    return rel === source || rel.startsWith(`${source}/`);
  });

/**
 * The paths among `lines` (a failed program's "not found" lines) that exist outside
 * its view: project-relative for files of the project, absolute otherwise.
 *
 * @example
 * ```ts ignore
 * unopenedPaths(["FileNotFoundError: [Errno 2] No such file or directory: 'data.txt'"], views)
 * // ["data.txt"] when <project>/data.txt exists and is not a declared source
 * ```
 */
export const unopenedPaths = (lines: readonly string[], views: Views): string[] => {
  const out = new Set<string>();
  for (const line of lines) {
    for (const raw of candidates(line)) {
      let rel: string | undefined;
      let absolute: string | undefined;
      const path = raw.replace(/^\.\//, "");
      if (path.startsWith(`${views.workDir}/`)) rel = path.slice(views.workDir.length + 1);
      else if (path.startsWith(`${views.root}/`)) rel = path.slice(views.root.length + 1);
      else if (path.startsWith("/")) absolute = path;
      else rel = path;
      if (rel !== undefined) {
        if (rel.startsWith("in/") || rel.startsWith("out/") || rel.startsWith("..")) continue;
        if (!declared(rel, views.sources) && exists(`${views.root}/${rel}`)) out.add(rel);
      } else if (absolute && !views.host && !absolute.startsWith("/proc/") && exists(absolute)) {
        out.add(absolute);
      }
    }
  }
  return [...out].sort();
};
