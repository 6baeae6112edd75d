/**
 * The external model: a small iterative traffic assignment whose congestion step is a
 * Python script and whose summary is a shell tool, both run by `command`.
 *
 * Per iteration, `assign` (TypeScript) splits the demand over the links by a logit of
 * their travel times, and `congestion` (py/bpr.py, standard library only) turns the
 * volumes into the next travel times; after the loop, `summary` (sh/summarize.sh, awk)
 * describes the final times — in a container when EXTERNAL_IMAGE names an image.
 *
 * @module
 */
import { Effect } from "effect";
import {
  type Artifact,
  command,
  input,
  iterate,
  Json,
  optional,
  run,
  scenario,
  step,
  Table,
  type TableValue,
  Text,
} from "cairn";

interface Link {
  readonly id: number;
  readonly t0: number;
  readonly capacity: number;
}

/** Splits the demand over the links: a logit of their times (free-flow at first). */
export const assign = step({
  name: "assign",
  inputs: { network: Json, times: optional(Table.csv) },
  outputs: { volumes: Table.csv },
  config: { theta: 0.25 },
  run: ({ network, times }, config) => {
    const links = network.links as Link[];
    const time = (link: Link) => Number(times?.find((r) => r.link === link.id)?.time ?? link.t0);
    const weights = links.map((link) => Math.exp(-config.theta * time(link)));
    const total = weights.reduce((a, b) => a + b, 0);
    return {
      volumes: links.map((link, i) => ({
        link: link.id,
        volume: Math.round((network.demand as number) * weights[i]! / total),
      })),
    };
  },
});

/** Congestion: the BPR function, in Python. */
export const congestion = command({
  name: "congestion",
  inputs: { volumes: Table.csv, network: Json },
  outputs: { times: Table.csv, report: Text },
  config: { alpha: 0.15, beta: 4 },
  sources: ["py/bpr.py", "py/lib/"],
  tools: ["python3"],
  argv: ({ inputs, outputs, config }) => [
    "python3",
    "py/bpr.py",
    "--volumes",
    inputs.volumes,
    "--network",
    inputs.network,
    "--alpha",
    String(config.alpha),
    "--beta",
    String(config.beta),
    "--out",
    outputs.times,
    "--report",
    outputs.report,
  ],
  timeout: "10m",
});

const image = Deno.env.get("EXTERNAL_IMAGE");

/** The summary: a shell tool, on the host or (with EXTERNAL_IMAGE) in a container. */
export const summary = command({
  name: "summary",
  inputs: { times: Table.csv },
  outputs: { summary: Text },
  sources: ["sh/summarize.sh"],
  ...(image ? { container: { image } } : { tools: ["sh", "awk"] }),
  argv: ({ inputs, outputs }) => ["sh", "sh/summarize.sh", inputs.times, outputs.summary],
});

/** The model: `n` iterations of assignment and congestion, then the summary. */
export const model = (n: number) =>
  Effect.gen(function* () {
    const network = yield* input.file("data/network.json", Json);
    const start: { times?: Artifact<TableValue> } = {};
    const final = yield* iterate({ times: n }, start, (state) =>
      Effect.gen(function* () {
        const { volumes } = yield* assign({ network, times: state.times });
        const { times } = yield* congestion({ volumes, network });
        return { times };
      }));
    yield* summary({ times: final.times! });
    return final.times!;
  });

if (import.meta.main) {
  const n = Number(Deno.env.get("ITERATIONS") ?? 4);
  await run(scenario(Deno.env.get("SCENARIO") ?? "external", { config: { n } }, model(n)));
}
