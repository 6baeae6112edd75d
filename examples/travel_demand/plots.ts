/**
 * Plots of a run as SVG: vega-lite specs compiled to vega and rendered headless
 * with `View.toSVG` — no browser, no canvas.
 *
 * @module
 */
import * as vega from "vega";
import * as vl from "vega-lite";
import type { MilesRow, ModeShareRow } from "./model/summaries.ts";

/**
 * Renders a vega-lite spec as an SVG document.
 *
 * @example
 * ```ts
 * import { renderSvg } from "./plots.ts"
 *
 * const svg = await renderSvg({ data: { values: [{ x: 1 }] }, mark: "point", encoding: { x: { field: "x", type: "quantitative" } } })
 * ```
 */
export const renderSvg = async (spec: vl.TopLevelSpec): Promise<string> => {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
};

const iterationAxis = { field: "iteration", type: "ordinal", title: "iteration" } as const;

/**
 * Mode shares by iteration, one line per mode.
 *
 * @example
 * ```ts
 * import { modeSharePlot } from "./plots.ts"
 *
 * const svg = await modeSharePlot([{ iteration: 0, mode: "car", share: 0.6 }])
 * ```
 */
export const modeSharePlot = (rows: readonly ModeShareRow[]): Promise<string> =>
  renderSvg({
    title: "Mode shares by iteration",
    width: 420,
    height: 240,
    data: { values: rows.map((r) => ({ ...r })) },
    mark: { type: "line", point: true },
    encoding: {
      x: iterationAxis,
      y: { field: "share", type: "quantitative", axis: { format: "%" }, title: "share of trips" },
      color: { field: "mode", type: "nominal" },
    },
  });

/**
 * Vehicle miles and person miles by mode per iteration.
 *
 * @example
 * ```ts
 * import { milesPlot } from "./plots.ts"
 *
 * const svg = await milesPlot([{ iteration: 0, vmt: 1, pmt_car: 1, pmt_transit: 1, pmt_walk: 1 }])
 * ```
 */
export const milesPlot = (rows: readonly MilesRow[]): Promise<string> =>
  renderSvg({
    title: "Vehicle and person miles by iteration",
    width: 420,
    height: 240,
    data: {
      values: rows.flatMap((r) => [
        { iteration: r.iteration, measure: "VMT (car)", miles: r.vmt },
        { iteration: r.iteration, measure: "PMT car", miles: r.pmt_car },
        { iteration: r.iteration, measure: "PMT transit", miles: r.pmt_transit },
        { iteration: r.iteration, measure: "PMT walk", miles: r.pmt_walk },
      ]),
    },
    mark: { type: "line", point: true },
    encoding: {
      x: iterationAxis,
      y: { field: "miles", type: "quantitative", title: "miles per day" },
      color: { field: "measure", type: "nominal" },
    },
  });
