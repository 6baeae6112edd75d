// A command in a container (podman, the runtime these machines have): inputs mounted
// read-only, outputs writable and owned by the invoking user, no network, run by image
// ID — which enters the key, so an image rebuilt with other content under the same tag
// re-runs, and one rebuilt with the same content (the same ID) does not. Images are
// built here from busybox-static (no registry is reachable). Without podman or
// buildah the suite says which and skips, except under CI=true.
import assert from "node:assert/strict";
import { PATH } from "./_model.ts";
import { withProject } from "../_project.ts";
import {
  buildImage,
  containerProblem,
  containersNamed,
  freshTag,
  imageId,
  removeImages,
} from "./_image.ts";

const problem = containerProblem();

const containerTest = (name: string, fn: () => Promise<void>) =>
  Deno.test(name, async () => {
    if (problem !== undefined) {
      if (Deno.env.get("CI") === "true") {
        throw new Error(`the container runner must run in CI: ${problem}`);
      }
      console.log(`note: container test skipped: ${problem}`);
      return;
    }
    await fn();
  });

const PIPELINE = `import { Effect } from "effect";
import { command, input, run, scenario, Text } from "cairn";

const model = command({
  name: "model",
  inputs: { data: Text },
  outputs: { result: Text },
  sources: ["model.sh"],
  container: { image: Deno.env.get("IMAGE")! },
  argv: ({ inputs, outputs }) => ["sh", "model.sh", inputs.data, outputs.result],
});

const program = scenario("mutation", {}, Effect.gen(function* () {
  yield* model({ data: yield* input.file("data.txt", Text) });
}));

if (import.meta.main) await run(program);
`;

// Reads its input and the image's version file, says who it runs as, checks the network.
const MODEL = `{
  echo "data: $(cat "$1")"
  echo "image: $(cat /etc/model-version)"
  echo "user: $(id -u):$(id -g)"
  if echo hi > "$1" 2>/dev/null; then echo "input: writable"; else echo "input: read-only"; fi
  if [ -e /sys/class/net/eth0 ]; then echo "network: eth0"; else echo "network: none"; fi
} > "$2"
`;

containerTest(
  "a command runs in a container: input read-only, output owned by the invoking user, no network; a re-run is a hit",
  async () => {
    const tag = freshTag();
    buildImage(tag, { "etc/model-version": "v1\n" });
    try {
      await withProject(
        { "pipeline.ts": PIPELINE, "model.sh": MODEL, "data.txt": "volumes" },
        async (p) => {
          const env = { PATH, IMAGE: tag };
          const first = await p.run({ env });
          assert.deepEqual(first.steps, { model: "miss" });
          assert.equal(
            p.output(first, "model", "result"),
            `data: volumes\nimage: v1\nuser: ${Deno.uid()}:${Deno.gid()}\ninput: read-only\nnetwork: none\n`,
          );
          const record = p.runRecord(first, "model");
          assert.equal((record.components as { image: string }).image, imageId(tag));
          assert.deepEqual(
            [
              (record.command as { runner: string }).runner,
              (record.command as { image: string }).image,
            ],
            ["container", tag],
          );
          assert.deepEqual((await p.run({ env })).steps, { model: "hit" });
        },
      );
    } finally {
      removeImages(tag);
    }
  },
);

containerTest(
  "an image rebuilt with other content under the same tag re-runs (why names image); the same content is the same ID, a hit",
  async () => {
    const tag = freshTag();
    buildImage(tag, { "etc/model-version": "v1\n" });
    try {
      await withProject(
        { "pipeline.ts": PIPELINE, "model.sh": MODEL, "data.txt": "volumes" },
        async (p) => {
          const env = { PATH, IMAGE: tag };
          const first = await p.run({ env });
          const before = imageId(tag);
          buildImage(tag, { "etc/model-version": "v1\n" });
          assert.equal(imageId(tag), before, "the same content builds the same image ID");
          assert.deepEqual((await p.run({ env })).steps, { model: "hit" });
          buildImage(tag, { "etc/model-version": "v2\n" });
          assert.notEqual(imageId(tag), before);
          const out = await p.run({ env });
          assert.deepEqual(out.steps, { model: "miss" });
          assert.match(p.output(out, "model", "result"), /image: v2/);
          assert.match(
            out.stderr,
            new RegExp(
              `miss model key \\w+: image: changed \\(${before.slice(0, 12)} → ${
                imageId(tag).slice(0, 12)
              }\\)`,
            ),
          );
          assert.match(p.output(first, "model", "result"), /image: v1/);
        },
      );
    } finally {
      removeImages(tag);
    }
  },
);

containerTest("an image that is not there fails the invocation saying so", async () => {
  await withProject(
    { "pipeline.ts": PIPELINE, "model.sh": MODEL, "data.txt": "volumes" },
    async (p) => {
      const out = await p.run({
        env: { PATH, IMAGE: "localhost/cairn-test-absent:1" },
        fails: true,
      });
      assert.match(
        out.stderr,
        /Cannot run command "model" in the podman container: image "localhost\/cairn-test-absent:1" is not in podman's store .*; build or pull it first/,
      );
      assert.deepEqual(out.steps, { model: "failed" });
    },
  );
});

containerTest(
  "SIGTERM while a command runs in a container: the container is stopped and removed",
  async () => {
    const tag = freshTag();
    buildImage(tag, { "etc/model-version": "v1\n" });
    try {
      const waiting = 'echo "container started"\nsleep 600\n';
      await withProject(
        { "pipeline.ts": PIPELINE, "model.sh": waiting, "data.txt": "volumes" },
        async (p) => {
          const child = p.spawn({ env: { PATH, IMAGE: tag } });
          const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
          let seen = "";
          while (!seen.includes("container started\n")) {
            const { value, done } = await reader.read();
            if (done) throw new Error(`the pipeline ended before its container started: ${seen}`);
            seen += value;
          }
          assert.equal(containersNamed(`cairn-${child.pid}-`).length, 1, "its container runs");
          child.kill("SIGTERM");
          for (;;) if ((await reader.read()).done) break;
          const status = await child.status;
          child.stdout.cancel();
          assert.equal(status.code, 143);
          assert.deepEqual(
            containersNamed(`cairn-${child.pid}-`),
            [],
            "no container outlives the run",
          );
        },
      );
    } finally {
      removeImages(tag);
    }
  },
);
