// A small model whose congestion step is a Python script (stdlib only) run by
// `command`: BPR travel times from link volumes, in a loop where the times feed the
// next iteration's volumes (a TypeScript step). The script imports a helper module
// from a declared source directory, reads a declared environment variable and a
// network file given as an input, and writes a CSV table and a report.

/** PATH for the child pipelines: the system's python3 (not a version manager's shim). */
export const PATH = "/usr/local/bin:/usr/bin:/bin";

export const BPR_PY = `import argparse, csv, json, os
from lib.helpers import bpr

p = argparse.ArgumentParser()
p.add_argument("--volumes")
p.add_argument("--network")
p.add_argument("--alpha", type=float)
p.add_argument("--beta", type=float)
p.add_argument("--out")
p.add_argument("--report")
a = p.parse_args()
scale = float(os.environ.get("BPR_SCALE", "1"))
links = {l["id"]: l for l in json.load(open(a.network))["links"]}
with open(a.volumes) as f:
    volumes = {int(r["link"]): float(r["volume"]) for r in csv.DictReader(f)}
with open(a.out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["link", "time"])
    for link, v in sorted(volumes.items()):
        l = links[link]
        w.writerow([link, round(scale * bpr(l["t0"], v, l["capacity"], a.alpha, a.beta), 6)])
with open(a.report, "w") as f:
    f.write(f"links={len(volumes)} alpha={a.alpha} other={os.environ.get('OTHER_VAR')}\\n")
print(f"congestion: {len(volumes)} links")
`;

export const HELPERS_PY = `def bpr(t0, volume, capacity, alpha, beta):
    return t0 * (1 + alpha * (volume / capacity) ** beta)
`;

export const NETWORK = JSON.stringify({
  links: [{ id: 1, capacity: 100, t0: 10 }, { id: 2, capacity: 50, t0: 5 }],
});

/** The pipeline, with `extra` spliced into the command's options. */
export const pipeline = (extra = "", argvTail = "") =>
  `import { Effect } from "effect";
import { type Artifact, command, File, input, iterate, optional, run, scenario, step, Table } from "cairn";

const demand = step({
  name: "demand",
  inputs: { times: optional(Table.csv) },
  outputs: { volumes: Table.csv },
  run: ({ times }) => ({
    volumes: [1, 2].map((link) => {
      const t = Number(times?.find((r) => r.link === link)?.time ?? 0);
      return { link, volume: Math.round(80 / (1 + t / 100)) };
    }),
  }),
});

const congestion = command({
  name: "congestion",
  inputs: { volumes: Table.csv, network: File },
  outputs: { times: Table.csv, report: File },
  config: { alpha: 0.15, beta: 4 },
  sources: ["py/bpr.py", "py/lib/"],
  tools: ["python3"],
  env: ["BPR_SCALE"],
  ${extra}
  argv: ({ inputs, outputs, config }) => [
    "python3", "py/bpr.py", "--volumes", inputs.volumes, "--network", inputs.network,
    "--alpha", String(config.alpha), "--beta", String(config.beta),
    "--out", outputs.times, "--report", outputs.report${argvTail},
  ],
});

const program = scenario("mutation", {}, Effect.gen(function* () {
  const network = yield* input.file("data/network.json");
  const start: { times?: Artifact } = {};
  return yield* iterate({ times: 2 }, start, (state) =>
    Effect.gen(function* () {
      const { volumes } = yield* demand({ times: state.times });
      const { times } = yield* congestion({ volumes, network });
      return { times };
    }));
}));

if (import.meta.main) await run(program);
`;

/** The model's files. */
export const MODEL = (extra = "", argvTail = ""): Record<string, string> => ({
  "pipeline.ts": pipeline(extra, argvTail),
  "py/bpr.py": BPR_PY,
  "py/lib/__init__.py": "",
  "py/lib/helpers.py": HELPERS_PY,
  "data/network.json": NETWORK,
  "notes.md": "# notes\n",
});

/** Which command and step invocations of the model ran (misses). */
export const ALL_MISS = {
  "demand@0": "miss",
  "congestion@0": "miss",
  "demand@1": "miss",
  "congestion@1": "miss",
};
export const ALL_HIT = {
  "demand@0": "hit",
  "congestion@0": "hit",
  "demand@1": "hit",
  "congestion@1": "hit",
};
