// The trace report's plots as Vega-Lite specs (trace-report.ts feeds them plain points): a
// quantity's ECDF under the CDF of the family fitted to it, and the waits' survival curve on
// log-log axes with the spike/tail split. The look is charts.ts's (`base`).
import type { TopLevelSpec } from "vega-lite";
import { base } from "./charts.js";
import type { EcdfPoint } from "./plot-data.js";

/** charts.ts's look with a subtitle of several lines: one line would be cut (a title is at most the plot's width). */
function titled(title: string, subtitle: readonly string[]): Record<string, unknown> {
  return { ...base(title), title: { text: title, subtitle: [...subtitle] } };
}

/** The trace's curve solid, the fitted one dashed, in the same two colours on every plot. */
function seriesLegend(trace: string, fitted: string | null) {
  const domain = fitted === null ? [trace] : [trace, fitted];
  return {
    color: { field: "series", type: "nominal", title: null, scale: { domain, range: ["#4c78a8", "#e45756"] }, ...(fitted === null ? { legend: null } : {}) },
    // The same field and title as the colour: Vega-Lite draws one legend with dashed entries.
    strokeDash: { field: "series", type: "nominal", title: null, scale: { domain, range: [[1, 0], [6, 3]] }, legend: fitted === null ? null : { labelLimit: 520 } },
  };
}

/**
 * A quantity's ECDF (steps) with the fitted family's CDF over it (a smooth dashed line, sampled
 * densely by the caller); log x when the values span decades.
 */
export function fitChart(
  title: string,
  trace: EcdfPoint[],
  fitted: EcdfPoint[],
  options: { xTitle: string; logX: boolean; subtitle: readonly string[] },
): TopLevelSpec {
  // A log axis has no 0: the share at 0 shows as the curve's first step instead.
  const drawn = (points: EcdfPoint[]) => (options.logX ? points.filter((p) => p.x > 0) : points);
  const x = { field: "x", type: "quantitative", title: options.xTitle, scale: options.logX ? { type: "log" } : { zero: true } };
  const y = { field: "p", type: "quantitative", title: "share at or below", scale: { domain: [0, 1] }, axis: { format: "%" } };
  const legend = seriesLegend(trace[0]?.series ?? "trace", fitted[0]?.series ?? null);
  return {
    ...titled(title, options.subtitle),
    layer: [
      { data: { values: drawn(trace) }, mark: { type: "line", interpolate: "step-after", strokeWidth: 1.8 }, encoding: { x, y, ...legend } },
      ...(fitted.length > 0 ? [{ data: { values: drawn(fitted) }, mark: { type: "line", strokeWidth: 1.6 }, encoding: { x, y, ...legend } }] : []),
    ],
  } as TopLevelSpec;
}

export interface SurvivalPoint {
  series: string;
  /** Wait (ms), > 0. */
  x: number;
  /** Share of the waits at or above x, > 0. */
  share: number;
}

/**
 * The waits' survival curve (share at or above x) on log-log axes, the fitted spike-plus-tail's
 * beside it, a rule at the split. Survival rather than the ECDF: on a log y the ECDF crowds the
 * tail into the top sliver (0.99 and 0.999 sit almost on 1), while the survival curve gives each
 * decade of rarer waits the same height, so a Pareto tail shows as a straight line of slope
 * -alpha and the spike as the drop before the split.
 */
export function waitSurvivalChart(
  trace: SurvivalPoint[],
  fitted: SurvivalPoint[],
  split: { thresholdMs: number; subtitle: readonly string[] },
): TopLevelSpec {
  const x = { field: "x", type: "quantitative", title: "wait after ready (ms, log)", scale: { type: "log" } };
  const y = { field: "share", type: "quantitative", title: "share at or above (log)", scale: { type: "log" }, axis: { format: "~%" } };
  const legend = seriesLegend(trace[0]?.series ?? "trace", fitted[0]?.series ?? null);
  return {
    ...titled("Wait after ready: share at or above (log-log)", split.subtitle),
    layer: [
      // The empirical survival is constant on (x_i, x_i+1] at its value at x_i+1: a step before.
      { data: { values: trace }, mark: { type: "line", interpolate: "step-before", strokeWidth: 1.8 }, encoding: { x, y, ...legend } },
      ...(fitted.length > 0 ? [{ data: { values: fitted }, mark: { type: "line", strokeWidth: 1.6 }, encoding: { x, y, ...legend } }] : []),
      {
        data: { values: [{ x: split.thresholdMs, label: `split ${split.thresholdMs} ms` }] },
        layer: [
          { mark: { type: "rule", color: "#555", strokeDash: [2, 2] }, encoding: { x: { field: "x", type: "quantitative" } } },
          { mark: { type: "text", align: "left", baseline: "top", dx: 4, y: 4, fontSize: 11, color: "#555" }, encoding: { x: { field: "x", type: "quantitative" }, text: { field: "label" } } },
        ],
      },
    ],
  } as TopLevelSpec;
}
