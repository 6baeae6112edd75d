// Child process of unwritable_scratch_test.ts, run as a user who is not root (in a
// user namespace): a step whose Dir output holds a read-only (0555) subdirectory
// and a read-only file, as a tool that copies a read-only tree writes one.
//
// Usage: locked_dir_pipeline.ts <root> ok|fail
//
// With "fail" the step throws after writing the tree, leaving it in its scratch
// directory. Prints "started", then the output tree's id on success.
import { Effect } from "effect";
import { Dir, run, scenario, step } from "../../../mod.ts";
import { args, emit } from "../../store/_fixtures/child_io.ts";

const [root, mode] = args("root", "mode");

const locked = step({
  name: "locked_output",
  version: "1",
  outputs: { d: Dir },
  config: { mode },
  run: (_inputs, config, ctx) => {
    const dir = `${ctx.outDir}/d`;
    Deno.mkdirSync(`${dir}/locked/deeper`, { recursive: true });
    Deno.writeTextFileSync(`${dir}/locked/data.csv`, "a,b\n1,2\n");
    Deno.writeTextFileSync(`${dir}/locked/deeper/more.txt`, "more\n");
    Deno.writeTextFileSync(`${dir}/readme.txt`, "hello\n");
    Deno.chmodSync(`${dir}/locked/data.csv`, 0o444);
    Deno.chmodSync(`${dir}/locked/deeper`, 0o555);
    Deno.chmodSync(`${dir}/locked`, 0o555);
    if (config.mode === "fail") throw new Error("the model diverged");
    return {};
  },
});

emit("started");
const tree = await run(
  scenario(
    "locked",
    {},
    Effect.map(locked({}), (out) => out.d.id),
  ),
  { root },
);
emit({ tree });
