// Where a runner finds a step's module: by its address under the runner's projects (in
// order), never outside them, else at the pipeline's path when it exists here; and
// which projects those are (its modules', else its directory's).
import assert from "node:assert/strict";
import { runnerProjects, stepModule } from "../../../../lib/pipeline/cluster/step_module.ts";

const withDir = (f: (dir: string) => void) => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-step-module-" });
  try {
    f(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
};

const file = (path: string, text = "") => {
  Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  Deno.writeTextFileSync(path, text);
};

Deno.test("stepModule() finds the address's module under the first project that has it, before the pipeline's path", () => {
  withDir((dir) => {
    file(`${dir}/b/steps/a.ts`);
    file(`${dir}/pipeline-host/steps/a.ts`);
    const sent = `${dir}/pipeline-host/steps/a.ts`;
    assert.deepEqual(stepModule("steps/a.ts#a", [`${dir}/a`, `${dir}/b`], sent), {
      path: `${dir}/b/steps/a.ts`,
    });
    file(`${dir}/a/steps/a.ts`);
    assert.deepEqual(stepModule("steps/a.ts#a", [`${dir}/a`, `${dir}/b`], sent), {
      path: `${dir}/a/steps/a.ts`,
    });
  });
});

Deno.test("stepModule() takes the pipeline's path when the runner's projects lack the module and the path exists here", () => {
  withDir((dir) => {
    file(`${dir}/pipeline-host/steps/a.ts`);
    assert.deepEqual(
      stepModule("steps/a.ts#a", [`${dir}/runner`], `${dir}/pipeline-host/steps/a.ts`),
      { path: `${dir}/pipeline-host/steps/a.ts` },
    );
  });
});

Deno.test("stepModule() says which paths it looked at when the module is nowhere here", () => {
  withDir((dir) => {
    const found = stepModule("steps/a.ts#a", [`${dir}/a`, `${dir}/b`], `${dir}/gone/steps/a.ts`);
    assert.deepEqual(found, {
      missing:
        `its module is not here: ${dir}/a/steps/a.ts and ${dir}/b/steps/a.ts do not exist, nor does ${dir}/gone/steps/a.ts (the pipeline's path)`,
    });
  });
});

Deno.test("stepModule() never imports a module outside the runner's project, whatever the address says", () => {
  withDir((dir) => {
    file(`${dir}/outside.ts`);
    file(`${dir}/abs.ts`);
    for (const address of ["../outside.ts#x", `${dir}/abs.ts#x`, "#x", "no-binding.ts"]) {
      const found = stepModule(address, [`${dir}/proj`], `${dir}/gone.ts`);
      assert.ok("missing" in found, `${address}: ${JSON.stringify(found)}`);
      assert.match(found.missing, /its address names no module under the runner's project/);
    }
  });
});

Deno.test("runnerProjects() is its modules' projects, in order and once each, else the directory's project", () => {
  withDir((dir) => {
    file(`${dir}/p/deno.json`, "{}");
    file(`${dir}/p/steps/a.ts`);
    file(`${dir}/p/b.ts`);
    file(`${dir}/q/deno.json`, "{}");
    file(`${dir}/q/c.ts`);
    assert.deepEqual(
      runnerProjects([`${dir}/p/steps/a.ts`, "../q/c.ts", `${dir}/p/b.ts`], `${dir}/p`),
      [`${dir}/p`, `${dir}/q`],
    );
    assert.deepEqual(runnerProjects([], `${dir}/p/steps`), [`${dir}/p`]);
  });
});
