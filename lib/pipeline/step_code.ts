// A step's code identity, established when the step is declared: the sources are read
// now, while the module that declares it is being evaluated, so the identity is that
// of the code this process loaded. A `run` that reads a binding of an enclosing
// function is refused here, at its declaration: its result depends on a value no
// identity sees.
import { type CallSite, declareCode, type DeclaredCode } from "../identity/code_identity.ts";
import { InvalidStep, pipelineError } from "./errors.ts";

/** The code identity, or why it could not be computed (reported when the step is invoked). */
export type StepCode = DeclaredCode | { readonly problem: string };

const quoted = (names: readonly string[]) => names.map((n) => `\`${n}\``);

const and = (items: readonly string[]) =>
  items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;

// Sources are read once per process, so one call site always gets the same identity:
// a factory that declares its step per call walks the code once.
const known = new Map<string, DeclaredCode>();
const memoised = (site: CallSite, options: Parameters<typeof declareCode>[1]): DeclaredCode => {
  if (options?.version !== undefined) return declareCode(site, options);
  const key = `${site.file}:${site.line}:${site.column}:${options?.code ?? "auto"}`;
  let declared = known.get(key);
  if (!declared) known.set(key, declared = declareCode(site, options));
  return declared;
};

/** Computes a step's code identity at its declaration; throws when `run` captures. */
export const declareStepCode = (
  options: { readonly name: string; readonly version?: string; readonly code?: "auto" | "module" },
  site: CallSite | undefined,
): StepCode => {
  const identityOptions = {
    ...(options.version !== undefined ? { version: options.version } : {}),
    code: options.code ?? "auto",
  };
  if (options.version === undefined && !site) {
    return { problem: "the place where the step was declared is not a file: URL" };
  }
  let declared: DeclaredCode;
  try {
    declared = memoised(site ?? { file: "", line: 0, column: 0 }, identityOptions);
  } catch (e) {
    return { problem: e instanceof Error ? e.message : String(e) };
  }
  if (declared.captures.length > 0) {
    const names = quoted(declared.captures);
    throw pipelineError(
      new InvalidStep({
        step: options.name,
        detail: `its run captures ${and(names)} from an enclosing function or block (${
          site!.file
        }:${
          site!.line
        }), and a captured value is invisible to the cache key, so a different value would reuse a stale result; pass ${
          and(names)
        } through \`config\`, or set \`version\``,
      }),
    );
  }
  return declared;
};
