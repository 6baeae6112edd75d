// The remote cache's layer where no server answers (no Ceph needed): the remote is
// opened only when a local miss needs it, a remote that cannot be opened is one
// warning and the run stays local, and a remote the store does not know is an error.
import assert from "node:assert/strict";
import * as Effect from "effect/Effect";
import { Json, Pipeline, type Progress, step } from "../../../mod.ts";
import { writeRemotes } from "../../../store/remotes.ts";
import { openStoreContext } from "../../../store/object_store.ts";

const count = step({
  name: "count",
  config: { n: 3 },
  outputs: { n: Json },
  run: (_, c) => ({ n: c.n }),
});

const logTo = (lines: string[]): Progress => ({
  stepStarted: () => {},
  stepFinished: () => {},
  iterationFinished: () => {},
  scenarioFinished: () => {},
  log: (line) => lines.push(line),
});

const withStore = async (f: (root: string) => Promise<void>) => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-remote-cache-" });
  const env = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_MAX_ATTEMPTS"] as const;
  const saved = env.map((name) => Deno.env.get(name));
  Deno.env.set("AWS_ACCESS_KEY_ID", "key");
  Deno.env.set("AWS_SECRET_ACCESS_KEY", "secret");
  Deno.env.set("AWS_MAX_ATTEMPTS", "1");
  try {
    const root = `${dir}/store`;
    openStoreContext(root).session.close();
    // Nothing listens on port 9 (discard): every request is refused at once.
    writeRemotes(root, { origin: { url: "s3://team/cache", endpoint: "http://127.0.0.1:9" } });
    await f(root);
  } finally {
    env.forEach((name, i) =>
      saved[i] === undefined ? Deno.env.delete(name) : Deno.env.set(name, saved[i]!)
    );
    Deno.removeSync(dir, { recursive: true });
  }
};

const runCount = (root: string, lines: string[], remote = "origin") =>
  Effect.runPromise(
    count({}).pipe(
      Effect.flatMap((out) => Pipeline.use((p) => p.store.readBlob(out.n.id))),
      Effect.provide(Pipeline.layerDisk({ root, remote, progress: logTo(lines) })),
    ),
  );

Deno.test("a remote that cannot be opened is one warning: the run succeeds locally and says push sends it", async () => {
  await withStore(async (root) => {
    const lines: string[] = [];
    const bytes = await runCount(root, lines);
    assert.equal(new TextDecoder().decode(bytes), "3");
    assert.equal(lines.filter((l) => /cannot be opened/.test(l)).length, 1, lines.join("\n"));
    assert.match(
      lines.join("\n"),
      /remote "origin" cannot be opened \(Cannot open bucket "s3:\/\/team\/cache"/,
    );
    assert.match(
      lines.join("\n"),
      /1 run was not uploaded; the results are in the local store, and "cairn push" sends them/,
    );
  });
});

Deno.test("a run whose steps all hit locally never opens the remote", async () => {
  await withStore(async (root) => {
    await runCount(root, []);
    const lines: string[] = [];
    await runCount(root, lines);
    assert.deepEqual(lines, [], "no warning, no closing line: the remote was not asked");
  });
});

Deno.test("a remote the store does not know fails the run, naming it and how to add it", async () => {
  await withStore(async (root) => {
    const error = await runCount(root, [], "upstream").then(() => undefined, (e) => e as Error);
    assert.ok(error);
    assert.match(
      error.message,
      /^Cannot accept remote "upstream": the store at .* has no such remote; add it with "cairn remote add upstream s3:\/\/bucket\/prefix"/,
    );
  });
});
