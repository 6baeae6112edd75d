// `deno task external` as a user runs it, from another directory: the walkthrough's
// claims hold — what ran, what was reused, the sandbox's refusal naming the file, the
// container run (required under CI=true; elsewhere it may say why it was skipped).
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { skipWithoutSandbox } from "../../_sandbox.ts";

const root = fileURLToPath(new URL("../../../", import.meta.url));

Deno.test("the external-programs example walks through host, sandbox, edits, an undeclared read and a container", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-external-" });
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        "--config",
        `${root}deno.json`,
        `${root}examples/external/main.ts`,
      ],
      cwd: dir,
      env: { NO_COLOR: "1", PATH: "/usr/local/bin:/usr/bin:/bin" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr) + text);
    const section = (n: number) =>
      text.slice(text.indexOf(`\n${n}. `), text.indexOf(`\n${n + 1}. `));

    assert.match(section(1), /9 of 9 invocations ran, 0 were cache hits/);
    assert.match(section(1), /^ {3}congestion {2}0–3 {5}—$/m);
    assert.match(section(1), /summary: links 4, mean time [\d.]+ min, max [\d.]+ min/);
    // The sandbox's sections need bubblewrap (required under CI=true).
    const sandboxed = !/the sandbox cannot start here/.test(section(2)) ||
      !skipWithoutSandbox("the example's sandbox sections");
    if (sandboxed) {
      assert.match(section(2), /9 of 9 invocations ran/);
      assert.match(section(2), /final times: the same bytes as on the host/);
    }
    assert.match(section(3), /4 of 9 invocations ran, 5 were cache hits/);
    assert.match(section(3), /^ {3}assign {6}— {4}0–3$/m);
    assert.match(section(3), /why congestion@0 ran: sources\.py\/bpr\.py: changed/);
    assert.match(section(4), /all 9 invocations were cache hits — nothing ran/);
    if (sandboxed) {
      assert.match(section(5), /under the sandbox: exit 1/);
      assert.match(
        section(5),
        /it could not open "data\/observed\.csv", which exists but is not visible in the sandbox/,
      );
    }
    assert.match(section(5), /declared in sources, it runs: \{"mean_abs_error_min": [\d.]+\}/);
    assert.match(section(5), /edited again: 1 of 10 invocations ran, 9 were cache hits/);
    assert.match(section(5), /why calibrate ran: sources\.data\/observed\.csv: changed/);
    const container = section(6);
    if (/skipped: /.test(container)) {
      assert.notEqual(Deno.env.get("CI"), "true", `the container run must run in CI: ${container}`);
      console.log(`note: the example's container run was skipped: ${container.trim()}`);
    } else {
      assert.match(container, /1 of 9 invocations ran, 8 were cache hits/);
      assert.match(container, /image: changed \(\(absent\) → [0-9a-f]{12}\)/);
      assert.match(container, /summary in the container: links 4/);
    }
    assert.ok(Deno.statSync(`${dir}/demo-output/external/.cairn/format`).isFile);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
