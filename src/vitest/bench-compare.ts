// toBeFasterThan / toBeSlowerThan for agentload bench results: judged on one metric's percentile
// (the registration's, e.g. TTFC p50) with a bootstrap confidence interval of the ratio, as metric
// snapshots are (metrics/compare.ts), never on a mean of a few whole-run timings. Three outcomes:
// the whole interval is past the threshold (yes), the whole interval is short of it (no), or it
// straddles it, too few values were measured, or a run is not valid (inconclusive). An
// inconclusive comparison fails the assertion with or without .not: it never passes.
import { compareDefaults, formatChange, percentileRatioInterval, weightedValues } from "../metrics/compare.js";
import { formatMs } from "../metrics/format.js";
import type { SerializedHistogram } from "../stats/histogram.js";
import type { HistogramName } from "../metrics/summary.js";
import { rngFor } from "../stats/random.js";

export interface BenchJudgeOptions {
  /** The least change that counts, as a fraction: 0.1 = faster by at least 10% (default 0). */
  delta?: number;
  /** The metric to judge (default: the one the result's latency column shows, e.g. ttfc). */
  metric?: HistogramName;
  /** The percentile to judge, in (0, 100) (default: the registration's, else 50). */
  percentile?: number;
  /** Of the interval (default 0.95). */
  confidence?: number;
}

/** What a judged result must carry: agentload's histograms, or a stored result's latency histogram. */
export interface JudgeableResult {
  name?: string;
  latency: { mean: number; metric?: string; hdr?: SerializedHistogram };
  agentload?: {
    metric: HistogramName;
    percentile: number;
    summary: { histograms: Partial<Record<HistogramName, SerializedHistogram>> };
    validity: { valid: boolean; problems: string[] };
  };
}

export type JudgeOutcome = "yes" | "no" | "inconclusive";

export interface BenchJudgement {
  outcome: JudgeOutcome;
  metric: HistogramName;
  percentile: number;
  /** actual / expected at the percentile, with its interval; absent when not measured. */
  ratio?: number;
  low?: number;
  high?: number;
  message: string;
}

/** A result agentload can judge: it carries at least one histogram. */
export function isJudgeable(value: unknown): value is JudgeableResult {
  const v = value as JudgeableResult | null;
  if (typeof v !== "object" || v === null || typeof v.latency !== "object" || v.latency === null) return false;
  return typeof v.agentload?.summary?.histograms === "object" || v.latency.hdr?.format === "hdr-v2-us";
}

function histogramOf(r: JudgeableResult, metric: HistogramName): SerializedHistogram | undefined {
  return r.agentload?.summary.histograms[metric] ?? (r.latency.metric === metric ? r.latency.hdr : undefined);
}

function labelOf(r: JudgeableResult, fallback: string): string {
  return r.name ? JSON.stringify(r.name) : fallback;
}

/** Is `actual` faster (or slower) than `expected` by at least delta? */
export function judgeBench(actual: JudgeableResult, expected: JudgeableResult, direction: "faster" | "slower", options: BenchJudgeOptions = {}): BenchJudgement {
  const metric = (options.metric ?? actual.agentload?.metric ?? actual.latency.metric ?? expected.agentload?.metric ?? expected.latency.metric ?? "ttfc") as HistogramName;
  const percentile = options.percentile ?? actual.agentload?.percentile ?? expected.agentload?.percentile ?? 50;
  const delta = options.delta ?? 0;
  const confidence = options.confidence ?? compareDefaults.confidence;
  if (!(typeof percentile === "number" && percentile > 0 && percentile < 100)) throw new TypeError(`percentile must be a number in (0, 100), got ${String(percentile)}`);
  if (!(typeof delta === "number" && delta >= 0 && (direction === "slower" || delta < 1))) throw new TypeError(`delta must be a fraction >= 0${direction === "faster" ? " and < 1" : ""} (0.1 = 10%), got ${String(delta)}`);
  const a = labelOf(actual, "received");
  const b = labelOf(expected, "expected");
  const label = `${metric} p${percentile}`;
  const base = { metric, percentile };

  const invalid = [
    ...(actual.agentload?.validity.valid === false ? actual.agentload.validity.problems.map((p) => `${a}: ${p}`) : []),
    ...(expected.agentload?.validity.valid === false ? expected.agentload.validity.problems.map((p) => `${b}: ${p}`) : []),
  ];
  if (invalid.length > 0) return { ...base, outcome: "inconclusive", message: `${label}: inconclusive, a run is not valid: ${invalid.join("; ")}` };

  const ha = histogramOf(actual, metric);
  const hb = histogramOf(expected, metric);
  if (!ha || !hb) {
    const missing = [!ha ? a : null, !hb ? b : null].filter(Boolean).join(" and ");
    return { ...base, outcome: "inconclusive", message: `${label}: inconclusive, ${missing} carries no ${metric} histogram` };
  }
  const wa = weightedValues(ha);
  const wb = weightedValues(hb);
  const needed = Math.max(compareDefaults.minSamples, Math.ceil((compareDefaults.tailSamples * 100) / (100 - percentile)));
  if (wa.count < needed || wb.count < needed) {
    return { ...base, outcome: "inconclusive", message: `${label}: inconclusive, too few values (${a} ${wa.count}, ${b} ${wb.count}; needs ${needed} each)` };
  }
  const ci = percentileRatioInterval(wb, wa, percentile, { confidence, resamples: compareDefaults.resamples, rng: rngFor(compareDefaults.seed, `bench/${metric}/p${percentile}`) });
  const threshold = direction === "faster" ? 1 - delta : 1 + delta;
  const outcome: JudgeOutcome =
    direction === "faster" ? (ci.high < threshold ? "yes" : ci.low >= threshold ? "no" : "inconclusive") : ci.low > threshold ? "yes" : ci.high <= threshold ? "no" : "inconclusive";
  const level = `${Math.round(confidence * 1000) / 10}%`;
  const wanted = delta > 0 ? `${direction} by at least ${Math.round(delta * 1000) / 10}%` : direction;
  const head = `${label}: ${a} ${formatMs(ci.new)} vs ${b} ${formatMs(ci.old)} (${formatChange(ci.ratio)}, ${level} CI ${formatChange(ci.low)}..${formatChange(ci.high)}; ${wa.count} and ${wb.count} values)`;
  const verdict = outcome === "yes" ? `${wanted}: yes` : outcome === "no" ? `${wanted}: no` : `${wanted}: inconclusive (the interval straddles ${formatChange(threshold)}; measure more requests)`;
  return { ...base, outcome, ratio: ci.ratio, low: ci.low, high: ci.high, message: `${head}; ${verdict}` };
}
