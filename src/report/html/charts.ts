// The report's plots as Vega-Lite specs (plain objects; svg.ts renders them), one builder per
// kind of plot, fed by plot-data.ts. Vega-Lite rather than hand-drawn SVG: axes, log scales,
// legends and step interpolation are the library's, and a reader can lift a spec into the Vega
// editor. Every spec carries its data inline: the report opens offline.
import type { TopLevelSpec } from "vega-lite";
import type { EcdfPoint, LatenessDot, OverlapPoint, PromptDot, SwimLanes, TimePoint } from "./plot-data.js";

const WIDTH = 560;
const HEIGHT = 220;
/** The report's look: quiet axes, one font, no chart border. */
const CONFIG = {
  font: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: "#e8e8e8", domainColor: "#888", tickColor: "#888" },
  legend: { labelFontSize: 11, titleFontSize: 11, orient: "bottom" },
  // A long session id or run name must not widen the chart: it is cut with an ellipsis.
  title: { fontSize: 13, anchor: "start", fontWeight: 600, limit: 560, subtitleLimit: 560 },
} as const;

/** What every chart shares: its title, size and look. */
export function base(title: string, subtitle?: string): Record<string, unknown> {
  return { title: subtitle ? { text: title, subtitle } : title, width: WIDTH, height: HEIGHT, config: CONFIG as never, background: "white", padding: 8 };
}

/** An ECDF per series (step-after lines); log x when the values span decades. */
export function ecdfChart(title: string, points: EcdfPoint[], options: { xTitle: string; logX?: boolean; subtitle?: string }): TopLevelSpec {
  const series = new Set(points.map((p) => p.series)).size;
  return {
    ...base(title, options.subtitle),
    // A log axis has no 0: the share at 0 shows as the curve's first step instead.
    data: { values: options.logX ? points.filter((p) => p.x > 0) : points },
    mark: { type: "line", interpolate: "step-after", strokeWidth: 1.8 },
    encoding: {
      x: { field: "x", type: "quantitative", title: options.xTitle, scale: options.logX ? { type: "log" } : { zero: true } },
      y: { field: "p", type: "quantitative", title: "share at or below", scale: { domain: [0, 1] }, axis: { format: "%" } },
      color: { field: "series", type: "nominal", title: null, ...(series <= 1 ? { legend: null } : {}) },
    },
  } as TopLevelSpec;
}

/** TTFC against prompt tokens, log y; colour: the share of the prompt served from the cache. */
export function ttfcByPromptChart(dots: PromptDot[]): TopLevelSpec {
  // Colour only when every dot has a cache share: Vega-Lite drops a dot whose colour field is null.
  const cached = dots.length > 0 && dots.every((d) => d.cached !== null);
  return {
    ...base("TTFC against prompt tokens", cached ? "colour: share of the prompt the server had cached" : undefined),
    data: { values: dots.map((d) => ({ ...d, ttfcMs: Math.max(d.ttfcMs, 0.01) })) },
    mark: { type: "circle", size: 18, opacity: 0.7 },
    encoding: {
      x: { field: "promptTokens", type: "quantitative", title: "prompt tokens" },
      y: { field: "ttfcMs", type: "quantitative", title: "TTFC (ms, log)", scale: { type: "log" } },
      ...(cached ? { color: { field: "cached", type: "quantitative", title: "cached", scale: { domain: [0, 1], scheme: "viridis" }, legend: { format: "%" } } } : {}),
    },
  } as TopLevelSpec;
}

/** Requests in flight and decoding over the run. */
export function concurrencyChart(points: TimePoint[]): TopLevelSpec {
  return {
    ...base("Requests in flight and decoding over time", "time-weighted mean per bin"),
    data: { values: points },
    mark: { type: "line", interpolate: "step-after", strokeWidth: 1.4 },
    encoding: {
      x: { field: "t", type: "quantitative", title: "seconds from the first dispatch" },
      y: { field: "value", type: "quantitative", title: "requests" },
      color: { field: "series", type: "nominal", title: null },
    },
  } as TopLevelSpec;
}

/** The duration-weighted decode overlap: share of decode time with at least k requests decoding. */
export function decodeOverlapChart(curve: { points: OverlapPoint[]; mean: number; max: number }): TopLevelSpec {
  return {
    ...base("Decode overlap (duration-weighted)", `mean ${curve.mean.toFixed(2)} decoding at once, at most ${curve.max}`),
    data: { values: curve.points },
    mark: { type: "bar", color: "#4c78a8" },
    encoding: {
      x: { field: "k", type: "ordinal", title: "at least k requests decoding", axis: { labelAngle: 0 } },
      y: { field: "share", type: "quantitative", title: "share of decode time", scale: { domain: [0, 1] }, axis: { format: "%" } },
    },
  } as TopLevelSpec;
}

/** The client's dispatch lateness over the run: its own health. */
export function latenessChart(dots: LatenessDot[]): TopLevelSpec {
  return {
    ...base("Dispatch lateness over time", "how late the client sent each request: its own health"),
    data: { values: dots },
    mark: { type: "circle", size: 12, opacity: 0.6, color: "#e45756" },
    encoding: {
      x: { field: "t", type: "quantitative", title: "seconds from the first planned dispatch" },
      y: { field: "latenessMs", type: "quantitative", title: "lateness (ms)" },
    },
  } as TopLevelSpec;
}

/** One session's requests on lanes, spawn and join edges drawn from parent end to child dispatch. */
export function swimLaneChart(lanes: SwimLanes): TopLevelSpec {
  const height = Math.max(60, Math.min(400, lanes.lanes * 22));
  const y = { field: "lane", type: "ordinal", title: "lane", axis: { labels: lanes.lanes <= 20 } } as const;
  return {
    ...base(`Session ${lanes.session}${lanes.agent ? ` (${lanes.agent})` : ""}: its requests`, "bar: dispatch to last chunk (dark: before the first token); line: parent's end to child's dispatch"),
    height,
    layer: [
      {
        data: { values: lanes.bars },
        mark: { type: "bar", height: 12, opacity: 0.85 },
        encoding: {
          x: { field: "start", type: "quantitative", title: "seconds from the session's first dispatch" },
          x2: { field: "end" },
          y,
          color: { field: "kind", type: "nominal", title: "kind" },
          stroke: { condition: { test: "datum.failed", value: "#d62728" }, value: null },
        },
      },
      {
        data: { values: lanes.bars.filter((b) => b.firstToken !== null) },
        mark: { type: "bar", height: 12, color: "#333", opacity: 0.35 },
        encoding: { x: { field: "start", type: "quantitative" }, x2: { field: "firstToken" }, y },
      },
      ...(lanes.edges.length > 0
        ? [
            {
              data: { values: lanes.edges },
              mark: { type: "rule", strokeWidth: 1, color: "#555", strokeDash: [3, 2] },
              encoding: { x: { field: "x", type: "quantitative" }, x2: { field: "x2" }, y, y2: { field: "lane2" } },
            },
          ]
        : []),
    ],
  } as TopLevelSpec;
}

export interface FrontierDot {
  load: number;
  attempt: number;
  healthy: boolean;
  /** An SLO objective's name, or "not valid". */
  objective: string;
  /** measured / limit (1 = at the limit); null for a point with no measurement. */
  ratio: number | null;
  binding: boolean;
}

/**
 * A capacity search: each point tried, per SLO objective its measured value over its limit (the
 * objective fails above 1), the healthy ones filled; rules at the frontier and the first failing load.
 */
export function frontierChart(dots: FrontierDot[], marks: { frontier: number | null; firstFailing: number | null; axis: string }): TopLevelSpec {
  const rules = [
    ...(marks.frontier !== null ? [{ x: marks.frontier, label: "frontier" }] : []),
    ...(marks.firstFailing !== null ? [{ x: marks.firstFailing, label: "first failing" }] : []),
  ];
  return {
    ...base("Capacity search: each point tried", "measured / limit per SLO objective (fails above 1); large: the binding one"),
    layer: [
      {
        data: { values: dots.filter((d) => d.ratio !== null) },
        mark: { type: "point", filled: true, opacity: 0.85 },
        encoding: {
          x: { field: "load", type: "quantitative", title: marks.axis, scale: { type: "log" } },
          y: { field: "ratio", type: "quantitative", title: "measured / limit", scale: { type: "log" } },
          color: { field: "objective", type: "nominal", title: "objective" },
          size: { condition: { test: "datum.binding", value: 160 }, value: 50 },
          shape: { field: "healthy", type: "nominal", title: "healthy", scale: { domain: [true, false], range: ["circle", "cross"] } },
        },
      },
      { data: { values: [{ y: 1 }] }, mark: { type: "rule", color: "#d62728", strokeDash: [4, 3] }, encoding: { y: { field: "y", type: "quantitative" } } },
      ...(rules.length > 0
        ? [
            {
              data: { values: rules },
              mark: { type: "rule", color: "#2ca02c" },
              encoding: { x: { field: "x", type: "quantitative" }, strokeDash: { field: "label", type: "nominal", title: null } },
            },
          ]
        : []),
    ],
  } as TopLevelSpec;
}
