// A trace's report page (`agentload report <trace> --html FILE`): the figures `agentload analyze`
// leads with, then per quantity the trace's ECDF under the family fitted to it, the prompt sizes,
// and the waits' survival curve on log-log axes with the spike/tail split; after the plots, every
// family's AIC and KS and the spec `agentload fit` would write. The numbers come from the traces/
// functions those commands call (analyzeTrace, fitFamilies, fitSpikeTail, fitTrace); this file only
// draws them. Every series is thinned, so a trace of a million requests gives a small page
// (about 165 kB; rendering one took 24 s on a busy 2-core machine, most of it fitting).
import { formatMs, formatPercent } from "../../metrics/format.js";
import { analyzeTrace, type Stats, type TraceAnalysis } from "../../traces/analyze.js";
import { fitFamilies, fitSpikeTail, type FamilyFit, type FitReport, type SpikeTailFit } from "../../traces/fit.js";
import { fitTrace, type TraceFit } from "../../traces/to-spec.js";
import type { Trace } from "../../traces/types.js";
import { TraceError } from "../../traces/where.js";
import { createDistribution, describeDistribution, type DistributionSpec } from "../../workload/distributions.js";
import { ecdfChart } from "./charts.js";
import { escapeHtml, keyValueTable, renderPage, table, type Figure, type Section } from "./page.js";
import { MAX_LINE_POINTS, thin, valuesEcdf, type EcdfPoint } from "./plot-data.js";
import { renderSvg } from "./svg.js";
import { fitChart, waitSurvivalChart, type SurvivalPoint } from "./trace-charts.js";

/** Points a fitted curve is drawn through (it is smooth: fewer than the trace's steps suffice). */
const CURVE_POINTS = 200;
/** A log x axis when the largest value is at least this many times the smallest positive one. */
const LOG_SPAN = 100;
/** The survival curve keeps a point once it moved this many decades along x or y from the last kept. */
const SURVIVAL_STEP_DECADES = 0.02;
/** The fitted CDFs are evaluated only, never sampled: any Rng does. */
const NO_RNG = { next: () => 0.5 };

const PROPER_NAMES: Record<string, string> = { inverse_gaussian: "inverse Gaussian", weibull: "Weibull", pareto: "Pareto", spike_tail: "spike + tail" };

/** "inverse Gaussian" for inverse_gaussian: a family (or a fit method) as people write it. */
function familyName(family: string): string {
  return PROPER_NAMES[family] ?? family;
}

/** A short number for labels: three significant digits, whole numbers as they are. */
function short(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return Number.isInteger(x) && Math.abs(x) < 1e6 ? String(x) : String(Number(x.toPrecision(3)));
}

/** A figure for tables and subtitles: thousands separated, two decimals below 1,000. */
const num = (x: number) => (Number.isInteger(x) ? x.toLocaleString("en-US") : Math.abs(x) >= 1000 ? Math.round(x).toLocaleString("en-US") : x.toFixed(2));
const plural = (n: number, what: string) => `${n.toLocaleString("en-US")} ${what}${n === 1 ? "" : "s"}`;

/** "inverse Gaussian (mean 815, shape 25.9)": the family and its parameters as the spec names them. */
export function familyLabel(fit: Pick<FamilyFit, "family" | "spec">): string {
  const params = Object.entries(fit.spec as Record<string, unknown>)
    .filter(([k, v]) => k !== "type" && typeof v === "number")
    .map(([k, v]) => `${k} ${short(v as number)}`);
  return `${familyName(fit.family)} (${params.join(", ")})`;
}

/** The per-request quantities analyze reports, as values (its definitions; see docs/traces.md). */
function quantities(trace: Trace) {
  const freshInput: number[] = [];
  const output: number[] = [];
  const prompt: number[] = [];
  const waits: number[] = [];
  for (const r of trace.requests) {
    freshInput.push(r.freshInputTokens);
    output.push(r.outputTokens);
    if (r.promptTokens !== undefined) prompt.push(r.promptTokens);
    // Waits count over requests with a history parent, as analyze's waitAfterReadyMs does.
    if (r.historyParent !== null && r.waitAfterReadyMs !== undefined) waits.push(r.waitAfterReadyMs);
  }
  return { freshInput, output, prompt, waits };
}

function range(values: readonly number[]): { min: number; minPositive: number; max: number } {
  let min = Infinity;
  let minPositive = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > 0 && v < minPositive) minPositive = v;
    if (v > max) max = v;
  }
  return { min, minPositive, max };
}

/** Values that span decades read best on a log axis (token counts from tens to tens of thousands). */
function spansDecades(values: readonly number[]): boolean {
  const { minPositive, max } = range(values);
  return Number.isFinite(minPositive) && max / minPositive >= LOG_SPAN;
}

/** CURVE_POINTS points from lo to hi, evenly on a log or a linear scale. */
function grid(lo: number, hi: number, log: boolean): number[] {
  if (!(hi > lo)) return [lo];
  const at = (i: number) => i / (CURVE_POINTS - 1);
  return Array.from({ length: CURVE_POINTS }, (_, i) => (log ? lo * (hi / lo) ** at(i) : lo + (hi - lo) * at(i)));
}

/** A fitted distribution's CDF over the values' range (from 0 on a linear axis: the mass it puts below the data shows). */
function fittedCdf(series: string, spec: DistributionSpec, values: readonly number[], log: boolean): EcdfPoint[] {
  const cdf = createDistribution(spec, NO_RNG);
  const { min, minPositive, max } = range(values);
  return grid(log ? minPositive : Math.min(0, min), max, log).map((x) => ({ series, x, p: cdf.cdf(x) }));
}

/**
 * The share of the values at or above each positive value ("at or above" rather than "above": the
 * largest value keeps a share of 1/n, which a log axis can place, where "above" would be 0; zeros
 * count in the shares, though a log axis cannot place them either), kept where the curve moved SURVIVAL_STEP_DECADES on the log-log plane: the
 * tail's rare values keep their points, which thinning by index would drop.
 */
export function survivalPoints(series: string, values: readonly number[]): SurvivalPoint[] {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const points: SurvivalPoint[] = [];
  let last: { lx: number; ly: number } | null = null;
  for (let i = 0; i < n; i++) {
    const x = sorted[i]!;
    if (!(x > 0) || (i > 0 && sorted[i - 1] === x)) continue; // the first of equal values: all of them are at or above it
    const share = (n - i) / n;
    const lx = Math.log10(x);
    const ly = Math.log10(share);
    const isLast = x === sorted[n - 1];
    if (last && !isLast && Math.abs(lx - last.lx) < SURVIVAL_STEP_DECADES && Math.abs(ly - last.ly) < SURVIVAL_STEP_DECADES) continue;
    points.push({ series, x, share });
    last = { lx, ly };
  }
  return thin(points, MAX_LINE_POINTS * 2);
}

/** The fitted spike-plus-tail's share above x, where the data can show it (down to a tenth of 1/n). */
function fittedSurvival(series: string, spec: DistributionSpec, values: readonly number[]): SurvivalPoint[] {
  const cdf = createDistribution(spec, NO_RNG);
  const { minPositive, max } = range(values);
  if (!Number.isFinite(minPositive)) return [];
  const floor = 0.1 / values.length;
  return grid(minPositive, max, true)
    .map((x) => ({ series, x, share: 1 - cdf.cdf(x) }))
    .filter((p) => p.share >= floor);
}

/** ["best of 7 families by AIC: KS 0.072, n 129", "next: lognormal, AIC +11.8"]. */
function fitSubtitle(report: FitReport): string[] {
  const [best, next] = report.fits;
  const tried = report.fits.length + report.failed.length;
  return [`best of ${tried} families by AIC: KS ${best!.ks.toFixed(3)}, n ${num(report.n)}`, ...(next ? [`next: ${familyName(next.family)}, AIC +${(next.aic - best!.aic).toFixed(1)}`] : [])];
}

interface FittedQuantity {
  id: string;
  label: string;
  unit: string;
  values: number[];
  caption: string;
}

/** One quantity's figure: its ECDF with the best family's CDF over it, and the ranking behind the choice. */
async function fitFigure(q: FittedQuantity): Promise<{ figure: Figure; report: FitReport | null }> {
  const log = spansDecades(q.values);
  const distinct = new Set(q.values).size;
  const report = distinct > 1 ? fitFamilies(q.values) : null;
  const best = report?.fits[0];
  const trace = valuesEcdf("trace", q.values);
  const fitted = best ? fittedCdf(familyLabel(best), best.spec, q.values, log) : [];
  const subtitle = best ? fitSubtitle(report) : [distinct <= 1 ? `every value is ${q.values[0]}: nothing to fit` : "no family could be fitted (see the table below)"];
  const spec = fitChart(`${q.label}: trace and fitted family`, trace, fitted, { xTitle: `${q.unit}${log ? " (log)" : ""}`, logX: log, subtitle });
  return { figure: { id: q.id, svg: await renderSvg(spec), caption: q.caption }, report };
}

async function waitFigure(waits: number[], fit: SpikeTailFit): Promise<Figure> {
  const zeros = waits.filter((w) => !(w > 0)).length;
  const p = fit.spikeProbability;
  const tail = fit.tail && Number.isFinite(fit.tail.alpha) ? `: Pareto alpha ${short(fit.tail.alpha)}` : "";
  const subtitle = [`${formatPercent(p)} of ${num(waits.length)} waits under ${fit.threshold} ms (the spike)`, `${formatPercent(1 - p)} at or above (the tail${tail})`];
  const best = fit.spike?.fits[0];
  const parts = [
    ...(p > 0 ? [best ? `${familyName(best.family)} spike` : "spike"] : []),
    ...(fit.tail ? [Number.isFinite(fit.tail.alpha) ? "Pareto tail" : "tail"] : []),
  ];
  const spec = waitSurvivalChart(survivalPoints("trace", waits), fittedSurvival(`${parts.join(" + ")} (fitted)`, fit.spec, waits), { thresholdMs: fit.threshold, subtitle });
  const caption =
    "A straight stretch on these axes is a power law: the tail's slope is -alpha. The spike is the drop before the split." +
    (zeros > 0 ? ` ${zeros} waits of 0 ms are not on the log axis (they count in the shares).` : "");
  return { id: "wait-ecdf", svg: await renderSvg(spec), caption };
}

/** The figures analyze prints first, as label and value. */
function headlineRows(a: TraceAnalysis): [string, string][] {
  const rows: [string, string][] = [
    ["trace", a.source],
    ["format", a.format],
    ["requests", `${plural(a.requests, "request")} in ${plural(a.sessions, "session")}`],
    ["conversations", `${a.conversations.listed} listed, ${a.conversations.withRequests} with requests, ${a.conversations.spawned} spawned subagents`],
  ];
  if (a.userMessages !== null) rows.push(["user messages", `${a.userMessages}${a.expansionFactor !== null ? `; expansion ${num(a.expansionFactor)} requests per user message` : ""}`]);
  if (a.prefixOverlap) {
    const o = a.prefixOverlap;
    rows.push(["prefix reuse", `${formatPercent(o.ratio)} of ${num(o.promptTokens)} prompt tokens repeat the previous request's (median ${formatPercent(o.perRequest.p50)}; by ${o.measuredBy.replaceAll("_", " ")})`]);
  }
  if (a.reusablePrefix) rows.push(["prefix seen before", `${formatPercent(a.reusablePrefix.ratio)} of ${num(a.reusablePrefix.promptTokens)} prompt tokens (an unbounded prefix cache's hits)`]);
  if (a.prompt?.cacheHitRatio != null) rows.push(["prompt cache", `${formatPercent(a.prompt.cacheHitRatio)} of prompt tokens read from the cache; largest prompt ${num(a.prompt.usedContext)}`]);
  const g = a.graph;
  rows.push(["DAG shape", `longest path ${g.longestPath}, max width ${g.maxWidth}, max fan-out ${g.maxFanOut}, max fan-in ${g.maxFanIn}`]);
  const types = Object.entries(g.edgesByType).filter(([, n]) => n > 0).map(([t, n]) => `${t.replaceAll("_", " ")} ${n}`);
  rows.push(["edges", `${g.edges}${types.length > 0 ? ` (${types.join(", ")})` : ""}`]);
  if (a.peakInFlight !== null) rows.push(["peak in flight", String(a.peakInFlight)]);
  if (a.wallTimeMs !== null) rows.push(["wall time", formatMs(a.wallTimeMs)]);
  if (a.arrivals) rows.push(["session arrivals", `${a.arrivals.sessions} over ${formatMs(a.arrivals.spanMs)}, ${num(a.arrivals.perSecond)}/s, gap cv ${a.arrivals.gapCv.toFixed(2)}`]);
  const w = a.waitAfterReadyMs;
  if (w) {
    const tail = w.tail ? `; Pareto tail from ${w.tail.threshold} ms: alpha ${short(w.tail.alpha)} over ${w.tail.count} waits` : "";
    rows.push(["wait after ready", `${formatPercent(w.shareUnder100ms)} under 100 ms, ${formatPercent(w.shareOver10s)} over 10 s${tail}`]);
  }
  return rows;
}

/** analyze's table of distributions. */
function statsTable(a: TraceAnalysis): string {
  const rows: [string, Stats][] = [
    ["fresh input tokens", a.freshInputTokens],
    ["output tokens", a.outputTokens],
  ];
  if (a.prompt) rows.push(["prompt tokens", a.prompt.tokens]);
  if (a.waitAfterReadyMs) rows.push(["wait after ready (ms)", a.waitAfterReadyMs]);
  return table(
    ["", "n", "mean", "min", "p50", "p90", "p95", "p99", "max"],
    rows.map(([label, s]) => [label, ...[s.count, s.mean, s.min, s.p50, s.p90, s.p95, s.p99, s.max].map(num)]),
  );
}

/** Every family tried per quantity, best first (what `agentload fit` prints). */
function rankingTable(reports: [string, FitReport | null][], waits: SpikeTailFit | null): string {
  const rows: string[][] = [];
  const add = (quantity: string, report: FitReport) => {
    const best = report.fits[0]?.aic ?? 0;
    for (const f of report.fits) rows.push([quantity, familyLabel(f), f.aic.toFixed(1), `+${(f.aic - best).toFixed(1)}`, f.ks.toFixed(4)]);
    for (const f of report.failed) rows.push([quantity, familyName(f.family), "-", "-", `not fitted: ${f.reason}`]);
  };
  for (const [quantity, report] of reports) if (report) add(quantity, report);
  if (waits?.spike) add(`wait under ${waits.threshold} ms (spike)`, waits.spike);
  if (waits?.tail) rows.push([`wait from ${waits.threshold} ms (tail)`, `Pareto (scale ${waits.threshold}, alpha ${short(waits.tail.alpha)}, max ${short(waits.tail.max)})`, "-", "-", `${waits.tail.count} waits`]);
  return table(["quantity", "family", "AIC", "vs best", "KS"], rows);
}

/** What the fitted spec draws, per agent and quantity. */
function specTable(fit: TraceFit): string {
  return table(
    ["agent", "quantity", "values", "distribution", "chosen as"],
    fit.quantities.map((q) => [q.agent, q.quantity, String(q.values), describeDistribution(q.spec), familyName(q.method)]),
  );
}

export async function renderTraceReport(trace: Trace): Promise<string> {
  const analysis = analyzeTrace(trace);
  const q = quantities(trace);
  const figures: Figure[] = [];
  const reports: [string, FitReport | null][] = [];
  const fitted: FittedQuantity[] = [
    {
      id: "fresh-input-fit",
      label: "Fresh input tokens",
      unit: "fresh input tokens",
      values: q.freshInput,
      caption: "Every request's fresh input as analyze counts it (a first request's whole prompt). The spec fits later requests' fresh input without the parent's reply, per agent: see the last table.",
    },
    {
      id: "output-fit",
      label: "Output tokens",
      unit: "output tokens",
      values: q.output,
      caption: "Every request's output tokens. The spec fits them per agent: see the last table.",
    },
  ];
  for (const quantity of fitted) {
    if (quantity.values.length === 0) continue;
    const { figure, report } = await fitFigure(quantity);
    figures.push(figure);
    reports.push([quantity.label.toLowerCase(), report]);
  }
  if (q.prompt.length > 0) {
    const log = spansDecades(q.prompt);
    const p = analysis.prompt!.tokens;
    figures.push({
      id: "prompt-tokens-ecdf",
      svg: await renderSvg(ecdfChart("Prompt tokens: ECDF", valuesEcdf("prompt tokens", q.prompt), { xTitle: `prompt tokens${log ? " (log)" : ""}`, logX: log, subtitle: `p50 ${num(p.p50)}, p90 ${num(p.p90)}, max ${num(p.max)}; n ${num(p.count)}` })),
      caption: "Not fitted: a generated prompt's size follows from scaffold, task, fresh input and the replies before it.",
    });
  }
  const waitFit = q.waits.length > 0 ? fitSpikeTail(q.waits) : null;
  if (waitFit) figures.push(await waitFigure(q.waits, waitFit));

  let spec: Section;
  try {
    spec = { title: "The spec agentload fit writes", html: specTable(fitTrace(trace)) };
  } catch (e) {
    if (!(e instanceof TraceError)) throw e;
    spec = { title: "The spec agentload fit writes", html: `<p>${escapeHtml(e.message)}</p>` };
  }
  const headline = [
    `${plural(analysis.requests, "request")} in ${plural(analysis.sessions, "session")}`,
    ...(analysis.expansionFactor !== null ? [`${num(analysis.expansionFactor)} requests per user message`] : []),
    ...(analysis.prefixOverlap ? [`${formatPercent(analysis.prefixOverlap.ratio)} prefix reuse`] : []),
  ].join("; ");
  return renderPage({
    title: `agentload trace report: ${trace.source}`,
    verdict: "info",
    headline,
    sections: [
      { title: "Trace", html: keyValueTable(headlineRows(analysis)) },
      { title: "Distributions", html: statsTable(analysis) },
    ],
    figures,
    after: [{ title: "Fitted families, best first by AIC", html: rankingTable(reports, waitFit) }, spec],
  });
}
