// The README's one-time install of a `cairn` command, run as written into a
// temporary DENO_INSTALL_ROOT; the command it installs answers from any directory.
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { fromFileUrl } from "../../lib/identity/paths.ts";
import { runDemo, withTempDir } from "./_fixture.ts";

const ROOT = fromFileUrl(new URL("../..", import.meta.url).href).replace(/\/$/, "");

// The install command as the README shows it, in a `sh` block.
const readmeInstallCommand = (): string[] => {
  const readme = Deno.readTextFileSync(`${ROOT}/README.md`);
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const lines = blocks.flatMap((b) => b.split("\n")).filter((l) =>
    l.startsWith("deno install --global")
  );
  assert.equal(lines.length, 1, "the README shows one `deno install --global` command");
  return lines[0]!.replace(/\s+#.*$/, "").trim().split(/\s+/);
};

const decode = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("the README's install command installs a cairn command that runs from any directory", async () => {
  await withTempDir(async (dir) => {
    const [deno, ...args] = readmeInstallCommand();
    assert.equal(deno, "deno");
    // `deno` on the PATH, as the installed script calls it.
    const PATH = `${dirname(Deno.execPath())}:${Deno.env.get("PATH") ?? ""}`;
    const installed = await new Deno.Command(Deno.execPath(), {
      args,
      cwd: ROOT,
      env: { DENO_INSTALL_ROOT: `${dir}/root`, PATH, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(installed.code, 0, decode(installed.stderr));
    const cairn = `${dir}/root/bin/cairn`;
    assert.ok(Deno.statSync(cairn).isFile, `${cairn} installed`);

    const elsewhere = `${dir}/project`;
    Deno.mkdirSync(elsewhere);
    const run = (...argv: string[]) =>
      new Deno.Command(cairn, {
        args: argv,
        cwd: elsewhere,
        env: { PATH, NO_COLOR: "1", CAIRN_PROGRESS: "0" },
        stdout: "piped",
        stderr: "piped",
      }).output();

    const help = await run("--help");
    assert.equal(help.code, 0, decode(help.stderr));
    assert.match(decode(help.stdout), /^USAGE\n {2}cairn <subcommand>/m);
    assert.match(decode(help.stdout), /^ {2}lineage /m);

    // The store of the directory it runs in.
    await runDemo(`${elsewhere}/.cairn`, { rate: 1.1, n: 1 });
    const scenarios = await run("scenarios");
    assert.equal(scenarios.code, 0, decode(scenarios.stderr));
    assert.match(decode(scenarios.stdout), /^demo {2}\(1 record\)$/m);
  });
});
