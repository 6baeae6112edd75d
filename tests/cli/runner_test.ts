// `cairn runner`: it starts the runner in a process of its own under the module's
// project config, and a module that cannot be imported stops it at once, saying which.
import assert from "node:assert/strict";
import { fromFileUrl } from "../../lib/identity/paths.ts";
import { withTempDir } from "./_fixture.ts";

const ROOT = fromFileUrl(new URL("../..", import.meta.url).href).replace(/\/$/, "");

Deno.test("cairn runner with a module that cannot be imported exits 1, naming the module and what to do", async () => {
  await withTempDir(async (dir) => {
    const module = `${dir}/broken.ts`;
    Deno.writeTextFileSync(module, "export const x = ;\n");
    // As `deno task cairn` runs it: the launcher without the project's config.
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--no-config",
        `${ROOT}/cli/launch.ts`,
        "runner",
        "--sql",
        "postgres://postgres@127.0.0.1:1/none",
        "--store",
        `${dir}/store`,
        "--module",
        module,
      ],
      env: { NO_COLOR: "1", CAIRN_PROGRESS: "0" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, stderr);
    assert.match(stderr, /Cannot start the runner: importing .*broken\.ts failed/);
    assert.match(stderr, /fix the module/);
  });
});
