/**
 * `cairn show <run|scenario|artifact>`: everything the store knows about one
 * thing — a run record, a scenario record, or an artifact with its producers,
 * consumers and (for a directory) entries.
 *
 * @module
 */
import * as Effect from "effect/Effect";
import * as Command from "effect/cli/Command";
import type { LineageView, Shown, ShownArtifact } from "../lib/query/mod.ts";
import { formatBytes, formatMs } from "../lib/query/render_lineage.ts";
import { jsonFlag, printJson, printLines, short, stepAt, style, table } from "./_output.ts";
import { storeFlag, withView } from "./_store.ts";
import { targetArgument } from "./lineage.ts";

type Json = Record<string, unknown>;
type Ref = { id: string; kind: string; codec: string; size: number; producer?: string | null };

const field = (rows: [string, string][]) => table(null, rows.map(([k, v]) => [style.dim(k), v]));

const refRows = (label: string, map: Record<string, Ref | null>): string[][] => [
  [label],
  ...Object.entries(map).map(([name, r]) =>
    r === null ? [`  ${name}`, "(absent optional input)"] : [
      `  ${name}`,
      `${r.kind} ${short(r.id)}`,
      r.codec,
      formatBytes(r.size),
      r.producer === undefined ? "" : r.producer ? `from run ${short(r.producer)}` : "external",
    ]
  ),
];

// A command's run: where it ran, its command line, its sources, tools and image, and
// where its logs are.
const commandRows = (id: string, r: Json, components: Json): [string, string][] => {
  const command = r.command as Json | undefined;
  if (!command) return [];
  const ids = (map: unknown) =>
    Object.entries((map ?? {}) as Record<string, unknown>).map(([k, v]) =>
      `${k} ${typeof v === "string" ? short(v) : short(String((v as Json).executable))}`
    ).join(", ") || "-";
  return [
    ["command", `${command.runner}: ${((components.argv ?? []) as string[]).join(" ")}`],
    ["sources", ids(components.sources)],
    ["tools", ids(components.tools)],
    ...(components.image
      ? [["image", `${command.image} ${short(String(components.image))}`] as [string, string]]
      : []),
    ["logs", `cairn logs ${short(id)}`],
  ];
};

const runLines = (id: string, r: Json): string[] => {
  const components = (r.components ?? {}) as Json;
  const code = (components.code ?? {}) as Json;
  return [
    style.bold(`run ${id}`),
    ...field([
      ["step", stepAt(String(r.step), (r.iteration as number | null) ?? null)],
      ["scenario", String(r.scenario ?? "-")],
      ["status", String(r.status)],
      ["started", `${r.startedAt}  (${formatMs(Number(r.durationMs ?? 0))})`],
      ["host", String(r.host ?? "-")],
      ["key", String(r.key ?? "-")],
      ["code", `${code.mode ?? "?"} ${short(String(code.identity ?? ""))}`],
      ["config", JSON.stringify(components.config ?? null)],
      ["env", JSON.stringify(components.env ?? {})],
      ...commandRows(id, r, components),
    ]),
    ...table(null, [
      ...refRows("inputs", (r.inputs ?? {}) as Record<string, Ref | null>),
      ...refRows("outputs", (r.outputs ?? {}) as Record<string, Ref>),
    ]),
  ];
};

const scenarioLines = (id: string, r: Json): string[] => {
  const invocations = (r.invocations ?? []) as Json[];
  const hits = invocations.filter((i) => i.hit).length;
  return [
    style.bold(`scenario ${r.name}  record ${id}`),
    ...field([
      ["status", String(r.status)],
      ["started", `${r.startedAt}  (${formatMs(Number(r.durationMs ?? 0))})`],
      ["config", JSON.stringify(r.config ?? null)],
      ["tags", ((r.tags ?? []) as string[]).join(", ") || "-"],
      ["facets", JSON.stringify(r.facets ?? {})],
      ["parent", String(r.parent ?? "-")],
    ]),
    `invocations: ${invocations.length} (${hits} hits, ${invocations.length - hits} misses)`,
    ...table(
      ["  step", "run", "cache", "status", "duration"],
      invocations.map((i) => [
        `  ${stepAt(String(i.step), (i.iteration as number | null) ?? null)}`,
        short(i.run as string | null),
        i.hit ? "hit" : "miss",
        String(i.status),
        formatMs(Number(i.durationMs ?? 0)),
      ]),
      [4],
    ),
  ];
};

const runList = (view: LineageView, ids: readonly string[]) =>
  ids.length === 0 ? ["  (none)"] : ids.map((id) => {
    const s = view.runs.get(id);
    return `  run ${short(id)}  ${s ? `${stepAt(s.step, s.iteration)}  ${s.scenario ?? "-"}` : ""}`;
  });

const artifactLines = (view: LineageView, a: ShownArtifact): string[] => [
  style.bold(`artifact ${a.name}  ${a.objectKind} ${a.id}`),
  ...field([
    ["codec", a.codec],
    ["size", formatBytes(a.size)],
    ["stored", a.stored ? "yes" : "no (removed by gc)"],
  ]),
  `made by (${a.producers.length})`,
  ...runList(view, a.producers),
  `read by (${a.consumers.length})`,
  ...runList(view, a.consumers),
  ...(a.entries
    ? [
      `entries (${a.entries.length})`,
      ...table(null, a.entries.map((e) => [`  ${e.mode}`, short(e.id), e.name])),
    ]
    : []),
];

const render = (view: LineageView, shown: Shown): string[] =>
  shown.kind === "run"
    ? runLines(shown.id, shown.record)
    : shown.kind === "scenario"
    ? scenarioLines(shown.id, shown.record)
    : artifactLines(view, shown);

/** The `show` command. */
export const showCommand = Command.make(
  "show",
  { target: targetArgument("What to show"), json: jsonFlag, store: storeFlag },
  ({ target, json, store }) =>
    withView(store, (view, q) =>
      Effect.gen(function* () {
        const shown = yield* q.showTarget(view, target);
        yield* json ? printJson(shown) : printLines(render(view, shown));
      })),
).pipe(Command.withDescription("Show a run, a scenario record or an artifact in full"));
