// A trace analysis as text for people: a few lines of counts and shapes, then one table of the
// distributions, and the best family fit of fresh input and output. The JSON form is the
// TraceAnalysis object itself.
import { describeDistribution } from "../workload/distributions.js";
import type { Stats, TraceAnalysis } from "./analyze.js";
import type { FitReport } from "./fit.js";

function num(x: number): string {
  if (Number.isInteger(x)) return String(x);
  return Math.abs(x) >= 1000 ? x.toFixed(0) : x.toFixed(2);
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function table(rows: [string, Stats][]): string[] {
  const header = ["", "n", "mean", "min", "p50", "p90", "p95", "p99", "max", "sum"];
  const cells = rows.map(([label, s]) => [label, ...[s.count, s.mean, s.min, s.p50, s.p90, s.p95, s.p99, s.max, s.sum].map(num)]);
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ");
  return [line(header), ...cells.map(line)];
}

export function renderAnalysis(a: TraceAnalysis): string {
  const c = a.conversations;
  const lines = [
    `trace ${a.source} (${a.format})`,
    ...(a.skipped ? [`left out ${a.skipped.rows} rows: ${a.skipped.why}`] : []),
    `requests ${a.requests}, sessions ${a.sessions}; conversations ${c.listed} listed, ${c.withRequests} with requests, ${c.spawned} spawned subagents`,
  ];
  if (a.userMessages !== null) {
    lines.push(`user messages ${a.userMessages}${a.expansionFactor !== null ? `, expansion ${num(a.expansionFactor)} requests per user message` : ""}`);
  }
  const g = a.graph;
  const types = Object.entries(g.edgesByType)
    .filter(([, n]) => n > 0)
    .map(([t, n]) => `${t} ${n}`)
    .join(", ");
  lines.push(`edges ${g.edges}${types ? ` (${types})` : ""}`);
  lines.push(`graph: longest path ${g.longestPath}, max width ${g.maxWidth}, max fan-out ${g.maxFanOut}, max fan-in ${g.maxFanIn}`);
  if (a.peakInFlight !== null) lines.push(`peak requests in flight ${a.peakInFlight}${a.wallTimeMs !== null ? `, wall time ${(a.wallTimeMs / 1000).toFixed(1)} s` : ""}`);
  else if (a.wallTimeMs !== null) lines.push(`wall time ${(a.wallTimeMs / 1000).toFixed(1)} s`);
  if (a.arrivals) {
    lines.push(`arrivals: ${a.arrivals.sessions} sessions over ${(a.arrivals.spanMs / 1000).toFixed(1)} s, ${num(a.arrivals.perSecond)}/s, gap p50 ${num(a.arrivals.gapMs.p50)} ms`);
  }
  if (a.prompt) {
    const p = a.prompt;
    const cache = p.cachedTokens !== null ? `${p.uncachedTokens} uncached + ${p.cachedTokens} cache reads (${pct(p.cacheHitRatio!)} cached), ` : `${p.tokens.sum} in all, `;
    lines.push(`prompt tokens: ${cache}used context ${p.usedContext}`);
  }
  if (a.prefixOverlap) {
    const o = a.prefixOverlap;
    lines.push(
      `prefix overlap with the previous request: ${pct(o.ratio)} of ${o.promptTokens} prompt tokens over ${o.pairs} requests (median ${pct(o.perRequest.p50)}; by ${o.measuredBy.replaceAll("_", " ")})`,
    );
  }
  if (a.reusablePrefix) lines.push(`prefix seen in an earlier request: ${pct(a.reusablePrefix.ratio)} of ${a.reusablePrefix.promptTokens} prompt tokens`);
  const w = a.waitAfterReadyMs;
  if (w) {
    const tail = w.tail ? `; Pareto tail from 100 ms: alpha ${w.tail.alpha.toFixed(3)} over ${w.tail.count} waits` : "";
    lines.push(`wait after ready: ${pct(w.shareUnder100ms)} under 100 ms (${w.under100ms}), ${pct(w.shareOver10s)} over 10 s (${w.over10s})${tail}`);
  }
  const rows: [string, Stats][] = [["fresh input tok", a.freshInputTokens]];
  if (a.freshInputWithoutReplyTokens) rows.push(["  without reply", a.freshInputWithoutReplyTokens]);
  rows.push(["output tok", a.outputTokens]);
  if (a.prompt) rows.push(["prompt tok", a.prompt.tokens]);
  if (w) rows.push(["wait after ready ms", w]);
  const notes = [`fresh input as the trace counts it: a later request's includes its parent's reply`];
  if (a.freshInputWithoutReplyTokens) notes.push(`without reply: less that reply, what fit fits and a generated workload adds`);
  const fits: string[] = [];
  if (a.fits) {
    fits.push(bestFit("fresh input as the trace counts it (includes the parent's reply)", a.fits.freshInputTokens));
    fits.push(bestFit("output tokens", a.fits.outputTokens));
  }
  return [...lines, "", ...table(rows), ...notes, ...(fits.length > 0 ? ["", ...fits] : [])].join("\n") + "\n";
}

function aic(x: number): string {
  return x.toFixed(1);
}

/** One line: the quantity, its best family by AIC with parameters, AIC and KS, and the runner-up. */
export function bestFit(quantity: string, report: FitReport): string {
  const [best, next] = report.fits;
  if (!best) {
    // One reason for all families (too few values) is said once.
    const reasons = new Map<string, string[]>();
    for (const f of report.failed) reasons.set(f.reason, [...(reasons.get(f.reason) ?? []), f.family]);
    const why = reasons.size === 1 ? [...reasons.keys()][0]! : [...reasons].map(([reason, families]) => `${families.join(", ")}: ${reason}`).join("; ");
    return `${quantity}: no family fits (${why || "no values"})`;
  }
  const then = next ? `; then ${next.family} (AIC ${aic(next.aic)})` : "";
  return `${quantity}: best fit ${describeDistribution(best.spec)}, AIC ${aic(best.aic)}, KS ${best.ks.toFixed(3)}${then}`;
}
