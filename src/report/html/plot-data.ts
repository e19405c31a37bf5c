// What the report's plots show, as plain data computed from a run: ECDFs (from the summary's HDR
// histograms, so a run of a million requests costs what one of a hundred does), TTFC against
// prompt tokens, requests in flight and decoding over time, the duration-weighted decode overlap,
// the client's dispatch lateness, and the swim lanes of one session. Every series is bounded in
// size (points are thinned deterministically), so the report stays small enough to attach to a CI
// job whatever the run's size. No charting here: charts.ts turns these into Vega-Lite specs.
import { requestEndAt } from "../../records/request-end.js";
import { weightedValues, type HistogramInput } from "../../metrics/compare.js";
import { decodeLevels, decodeOverlap } from "../../metrics/decode-overlap.js";
import { requestMetrics } from "../../metrics/request-metrics.js";
import type { RequestRecord } from "../../records/types.js";

/** Most points a line or ECDF keeps; most dots a scatter keeps. */
export const MAX_LINE_POINTS = 400;
export const MAX_DOTS = 2500;
/** Time bins of the over-time plots. */
export const TIME_BINS = 300;

export interface EcdfPoint {
  series: string;
  /** The value (ms, or tokens). */
  x: number;
  /** Share of values <= x. */
  p: number;
}

/** The ECDF of a latency histogram: its bucket ends with the share at or below each, thinned. */
export function histogramEcdf(series: string, histogram: HistogramInput): EcdfPoint[] {
  const w = weightedValues(histogram);
  if (w.count === 0) return [];
  const points: EcdfPoint[] = [{ series, x: w.lo[0]!, p: 0 }];
  for (let i = 0; i < w.counts.length; i++) points.push({ series, x: w.hi[i]!, p: w.cumulative[i]! / w.count });
  return thin(points);
}

/**
 * The ECDF of plain values (prompt tokens), thinned. It starts at (smallest value, 0), so values
 * all of one size (a fixed workload) draw a vertical step rather than a single, invisible point.
 */
export function valuesEcdf(series: string, values: readonly number[]): EcdfPoint[] {
  if (values.length === 0) return [];
  const sorted = Float64Array.from(values).sort();
  const points: EcdfPoint[] = [{ series, x: sorted[0]!, p: 0 }];
  for (let i = 0; i < sorted.length; i++) {
    // Runs of equal values: the step's top only.
    if (i + 1 < sorted.length && sorted[i + 1] === sorted[i]) continue;
    points.push({ series, x: sorted[i]!, p: (i + 1) / sorted.length });
  }
  return thin(points);
}

/** Keeps at most MAX_LINE_POINTS, evenly by index, always the first and the last. */
export function thin<T>(points: T[], max = MAX_LINE_POINTS): T[] {
  if (points.length <= max) return points;
  const out: T[] = [];
  const step = (points.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(points[Math.round(i * step)]!);
  return out;
}

/** The requests that count for latency: finished, not warm-up. */
export function measured(records: readonly RequestRecord[]): RequestRecord[] {
  return records.filter((r) => r.error === undefined && !r.warmup);
}

export interface PromptDot {
  promptTokens: number;
  ttfcMs: number;
  /** The share of the prompt the server had cached (null when it did not say). */
  cached: number | null;
}

/** TTFC against prompt tokens, one dot per measured request (thinned by an even stride). */
export function ttfcByPrompt(records: readonly RequestRecord[]): PromptDot[] {
  const dots: PromptDot[] = [];
  for (const r of measured(records)) {
    const m = requestMetrics(r);
    if (m.ttfc === undefined) continue;
    const prompt = r.promptTokens ?? r.expectedPromptTokens;
    dots.push({ promptTokens: prompt, ttfcMs: m.ttfc, cached: r.cachedTokens !== undefined && prompt > 0 ? r.cachedTokens / prompt : null });
  }
  return thin(dots, MAX_DOTS);
}

/** Prompt tokens of every measured request. */
export function promptTokens(records: readonly RequestRecord[]): number[] {
  return measured(records).map((r) => r.promptTokens ?? r.expectedPromptTokens);
}

export interface TimePoint {
  series: string;
  /** Seconds from the run's first dispatch. */
  t: number;
  value: number;
}

/** The time-weighted mean of a step function (levels[i] from times[i] to times[i+1]) over bins. */
function binnedLevels(times: number[], levels: number[], start: number, end: number, series: string): TimePoint[] {
  if (!(end > start) || times.length === 0) return [];
  const width = (end - start) / TIME_BINS;
  const area = new Float64Array(TIME_BINS);
  const binOf = (t: number) => Math.min(TIME_BINS - 1, Math.max(0, Math.floor((t - start) / width)));
  for (let i = 0; i < times.length - 1; i++) {
    const a = Math.max(times[i]!, start);
    const b = Math.min(times[i + 1]!, end);
    const level = levels[i]!;
    if (!(b > a) || level === 0) continue;
    // Each bin the step [a, b) overlaps gets its share; the bins' own edges, not float steps, bound it.
    for (let bin = binOf(a); bin <= binOf(b); bin++) {
      const lo = Math.max(a, start + bin * width);
      const hi = Math.min(b, bin === TIME_BINS - 1 ? end : start + (bin + 1) * width);
      if (hi > lo) area[bin]! += level * (hi - lo);
    }
  }
  return Array.from(area, (sum, i) => ({ series, t: (i * width + width / 2) / 1000, value: sum / width }));
}

/** The span a record was in flight (dispatch to end) and decoding (first token to end). */
function spans(r: RequestRecord): { flight?: { start: number; end: number }; decode?: { start: number; end: number } } {
  const end = requestEndAt(r);
  return {
    flight: { start: r.dispatchedAt, end },
    ...(r.firstTokenAt !== undefined && end > r.firstTokenAt ? { decode: { start: r.firstTokenAt, end } } : {}),
  };
}

/** Requests in flight and requests decoding over the run, time-weighted per bin. */
export function concurrencyOverTime(records: readonly RequestRecord[]): TimePoint[] {
  if (records.length === 0) return [];
  const flights = records.map((r) => spans(r).flight!);
  const decodes = records.flatMap((r) => spans(r).decode ?? []);
  let start = Infinity;
  let end = -Infinity;
  for (const f of flights) {
    if (f.start < start) start = f.start;
    if (f.end > end) end = f.end;
  }
  const inFlight = decodeLevels(flights);
  const decoding = decodeLevels(decodes);
  // Both from the first dispatch (binnedLevels counts t from `start`).
  return [...binnedLevels(inFlight.times, inFlight.levels, start, end, "in flight"), ...binnedLevels(decoding.times, decoding.levels, start, end, "decoding")];
}

export interface OverlapPoint {
  /** At least this many requests decoding. */
  k: number;
  /** Share of the decode time with at least k decoding. */
  share: number;
}

/** The duration-weighted decode overlap: for each k, the share of decode time with >= k decoding. */
export function decodeOverlapCurve(records: readonly RequestRecord[]): { points: OverlapPoint[]; mean: number; max: number } {
  const o = decodeOverlap(records.flatMap((r) => spans(r).decode ?? []));
  return { points: o.shareAtLeast.map((share, i) => ({ k: i + 1, share })), mean: o.meanConcurrent, max: o.maxConcurrent };
}

export interface LatenessDot {
  /** Seconds from the run's first planned dispatch. */
  t: number;
  latenessMs: number;
}

/** How late the client sent each request against its plan, over the run (thinned). */
export function latenessOverTime(records: readonly RequestRecord[]): LatenessDot[] {
  if (records.length === 0) return [];
  let t0 = Infinity;
  for (const r of records) if (r.plannedAt < t0) t0 = r.plannedAt;
  const dots = records.map((r) => ({ t: (r.plannedAt - t0) / 1000, latenessMs: Math.max(0, r.dispatchedAt - r.plannedAt) })).sort((a, b) => a.t - b.t);
  return thin(dots, MAX_DOTS);
}

export interface LaneBar {
  node: string;
  kind: string;
  lane: number;
  /** Seconds from the session's first dispatch. */
  start: number;
  firstToken: number | null;
  end: number;
  failed: boolean;
}

export interface LaneEdge {
  from: string;
  to: string;
  /** Parent's end and child's dispatch, seconds, and their lanes. */
  x: number;
  x2: number;
  lane: number;
  lane2: number;
}

export interface SwimLanes {
  session: string;
  agent: string | null;
  bars: LaneBar[];
  edges: LaneEdge[];
  lanes: number;
}

/**
 * One session's requests as bars on lanes (a request takes the lowest lane free at its dispatch,
 * so requests that ran at once, subagents, sit on separate lanes), with an edge from each parent's
 * end to its child's dispatch. The session shown is the one with the most lanes (the widest DAG),
 * then the most requests: the view none of the anchors has for agentic sessions.
 */
export function swimLanes(records: readonly RequestRecord[], maxBars = 200): SwimLanes | null {
  const bySession = new Map<string, RequestRecord[]>();
  for (const r of records) {
    if (r.warmup) continue;
    let list = bySession.get(r.sessionId);
    if (!list) bySession.set(r.sessionId, (list = []));
    list.push(r);
  }
  let best: { session: string; list: RequestRecord[]; lanes: Map<RequestRecord, number>; width: number } | undefined;
  for (const [session, list] of bySession) {
    const lanes = laneOf(list);
    const width = Math.max(0, ...lanes.values()) + 1;
    if (!best || width > best.width || (width === best.width && Math.min(list.length, maxBars) > Math.min(best.list.length, maxBars))) best = { session, list, lanes, width };
  }
  // Only the session shown is drawn.
  return best ? build(best.session, best.list, best.lanes, best.width, maxBars) : null;
}

function laneOf(list: RequestRecord[]): Map<RequestRecord, number> {
  const sorted = [...list].sort((a, b) => a.dispatchedAt - b.dispatchedAt);
  const freeAt: number[] = [];
  const lanes = new Map<RequestRecord, number>();
  for (const r of sorted) {
    const end = spans(r).flight!.end;
    let lane = freeAt.findIndex((t) => t <= r.dispatchedAt);
    if (lane < 0) lane = freeAt.push(0) - 1;
    freeAt[lane] = end;
    lanes.set(r, lane);
  }
  return lanes;
}

function build(session: string, list: RequestRecord[], lanes: Map<RequestRecord, number>, width: number, maxBars: number): SwimLanes {
  const sorted = [...list].sort((a, b) => a.dispatchedAt - b.dispatchedAt).slice(0, maxBars);
  const t0 = sorted[0]?.dispatchedAt ?? 0;
  const s = (ms: number) => (ms - t0) / 1000;
  const byNode = new Map(sorted.map((r) => [r.nodeId, r]));
  const bars: LaneBar[] = sorted.map((r) => ({
    node: r.nodeId,
    kind: r.kind ?? "turn",
    lane: lanes.get(r)!,
    start: s(r.dispatchedAt),
    firstToken: r.firstTokenAt !== undefined ? s(r.firstTokenAt) : null,
    end: s(spans(r).flight!.end),
    failed: r.error !== undefined,
  }));
  const edges: LaneEdge[] = [];
  for (const child of sorted) {
    for (const id of child.parents ?? []) {
      const parent = byNode.get(id);
      if (!parent) continue;
      edges.push({ from: id, to: child.nodeId, x: s(spans(parent).flight!.end), x2: s(child.dispatchedAt), lane: lanes.get(parent)!, lane2: lanes.get(child)! });
    }
  }
  return { session, agent: list[0]?.agent ?? null, bars, edges, lanes: width };
}
