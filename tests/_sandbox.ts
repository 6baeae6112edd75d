// Whether bubblewrap can sandbox a command here, for the tests that need the sandbox:
// without it they say why and pass, except under CI=true, where they fail.

/** Why the sandbox cannot run here, or undefined when it can. */
export const sandboxProblem: string | undefined = (() => {
  try {
    const out = new Deno.Command("bwrap", {
      args: ["--unshare-all", "--ro-bind", "/", "/", "--", "/bin/sh", "-c", "exit 0"],
      stdout: "null",
      stderr: "piped",
    }).outputSync();
    return out.success ? undefined : new TextDecoder().decode(out.stderr).trim();
  } catch (e) {
    return `bwrap is not installed (${e instanceof Error ? e.message : e}; Debian: bubblewrap)`;
  }
})();

/** Says why a test that needs the sandbox is skipped, or under CI=true throws. */
export const skipWithoutSandbox = (what: string): boolean => {
  if (sandboxProblem === undefined) return false;
  if (Deno.env.get("CI") === "true") {
    throw new Error(`the sandbox must run in CI: ${sandboxProblem}`);
  }
  console.log(`note: ${what} skipped: ${sandboxProblem}`);
  return true;
};

/** A test that needs the sandbox (see {@linkcode skipWithoutSandbox}). */
export const sandboxTest = (name: string, fn: () => Promise<void>): void =>
  Deno.test(name, async () => {
    if (!skipWithoutSandbox("sandbox test")) await fn();
  });
